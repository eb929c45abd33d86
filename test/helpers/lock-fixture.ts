// The database the lock table's examples run against (LockFact.example in server/src/engine/locks.ts),
// shared by the lock-table test (test/locks) and the lock trace test (test/prove): t with index
// t_b_idx, r referenced, u with a NOT VALID foreign key, partitioned p, view v, materialized view mv,
// enum mood.

export const LOCK_FIXTURE = `
CREATE TABLE r (id int PRIMARY KEY);
INSERT INTO r VALUES (1), (2);
CREATE TABLE t (id int PRIMARY KEY, a int, b text, c varchar(10), n numeric(10,2), ip cidr, ts timestamp, r_id int, z int NOT NULL DEFAULT 0);
CREATE INDEX t_b_idx ON t (b);
INSERT INTO t VALUES (1, 1, 'x', 'x', 1, '10.0.0.0/8', now(), 1), (2, 2, 'y', 'y', 2, '10.1.0.0/16', now(), 2);
ALTER TABLE t ADD CONSTRAINT t_a_check CHECK (a > 0) NOT VALID;
CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER t_trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg();
CREATE TABLE u (id int PRIMARY KEY, r_id int);
INSERT INTO u VALUES (1, 1);
ALTER TABLE u ADD CONSTRAINT u_r_fkey FOREIGN KEY (r_id) REFERENCES r (id) NOT VALID;
CREATE TABLE e (id int, a int);
CREATE TABLE w (id int, v int);
INSERT INTO w VALUES (1, 1), (2, 2);
CREATE TABLE p (id int, k int) PARTITION BY RANGE (k);
CREATE TABLE p_1 PARTITION OF p FOR VALUES FROM (0) TO (10);
INSERT INTO p VALUES (1, 1);
CREATE TABLE p_new (id int, k int);
INSERT INTO p_new VALUES (1, 15);
CREATE VIEW v AS SELECT id FROM r;
CREATE MATERIALIZED VIEW mv AS SELECT id FROM r;
CREATE UNIQUE INDEX mv_id ON mv (id);
CREATE TYPE mood AS ENUM ('sad', 'ok');
`;

/** Statements some examples need first, committed before the example (by id of the lock table entry). */
export const LOCK_EXAMPLE_SETUP: Readonly<Record<string, string>> = {
  'add-unique-using-index': 'CREATE UNIQUE INDEX t_b_key ON t (b);',
  'add-primary-key-using-index': 'CREATE UNIQUE INDEX w_id_key ON w (id);\nALTER TABLE w ALTER COLUMN id SET NOT NULL;',
};

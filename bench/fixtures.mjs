// Generated migrations for the benchmarks: realistic dbmate files of a given line count (tables,
// indexes, constraints, backfills, a PL/pgSQL function and trigger, comments, and a down section),
// deterministic so that runs compare.

/** One "feature" worth of up statements and the matching down statements, named after `n`. */
function feature(n) {
  const t = `account_event_${n}`;
  const up = [
    `-- Feature ${n}: events per account, with a status and a search index.`,
    `CREATE TABLE ${t} (`,
    `  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,`,
    `  account_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,`,
    `  kind text NOT NULL,`,
    `  status text NOT NULL DEFAULT 'pending',`,
    `  payload jsonb NOT NULL DEFAULT '{}'::jsonb,`,
    `  attempts integer NOT NULL DEFAULT 0,`,
    `  created_at timestamptz NOT NULL DEFAULT now(),`,
    `  updated_at timestamptz NOT NULL DEFAULT now(),`,
    `  CONSTRAINT ${t}_kind_check CHECK (kind IN ('created', 'updated', 'deleted'))`,
    `);`,
    ``,
    `CREATE INDEX ${t}_account_idx ON ${t} (account_id, created_at DESC);`,
    `CREATE INDEX CONCURRENTLY ${t}_status_idx ON ${t} (status) WHERE status <> 'done';`,
    `COMMENT ON TABLE ${t} IS 'Events of an account (feature ${n}).';`,
    ``,
    `ALTER TABLE account ADD COLUMN last_event_${n}_at timestamptz;`,
    `ALTER TABLE ${t} ADD CONSTRAINT ${t}_attempts_check CHECK (attempts >= 0) NOT VALID;`,
    `ALTER TABLE ${t} VALIDATE CONSTRAINT ${t}_attempts_check;`,
    ``,
    `UPDATE account SET last_event_${n}_at = e.created_at`,
    `FROM (SELECT account_id, max(created_at) AS created_at FROM ${t} GROUP BY account_id) AS e`,
    `WHERE e.account_id = account.id AND account.last_event_${n}_at IS NULL;`,
    ``,
    `CREATE OR REPLACE FUNCTION ${t}_touch() RETURNS trigger`,
    `LANGUAGE plpgsql AS $$`,
    `BEGIN`,
    `  NEW.updated_at := now();`,
    `  IF NEW.status = 'done' AND OLD.status <> 'done' THEN`,
    `    UPDATE account SET last_event_${n}_at = now() WHERE id = NEW.account_id;`,
    `  END IF;`,
    `  RETURN NEW;`,
    `END;`,
    `$$;`,
    ``,
    `CREATE TRIGGER ${t}_touch BEFORE UPDATE ON ${t}`,
    `  FOR EACH ROW EXECUTE FUNCTION ${t}_touch();`,
    ``,
  ];
  const down = [
    `DROP TRIGGER IF EXISTS ${t}_touch ON ${t};`,
    `DROP FUNCTION IF EXISTS ${t}_touch();`,
    `ALTER TABLE account DROP COLUMN IF EXISTS last_event_${n}_at;`,
    `DROP TABLE IF EXISTS ${t};`,
  ];
  return { up, down };
}

/**
 * A dbmate migration of about `lines` lines (never fewer). Returns the text and the offset of a good
 * place to type: inside a column name in the middle of the up section.
 */
export function dbmateMigration(lines, seed = 0) {
  const up = ['-- migrate:up', "SET lock_timeout = '5s';", ''];
  const down = ['-- migrate:down'];
  let n = seed * 1000;
  while (up.length + down.length < lines) {
    const f = feature(n++);
    up.push(...f.up);
    down.splice(1, 0, ...f.down); // after the marker, newest feature first
  }
  const text = [...up, '', ...down, ''].join('\n');
  // The middle feature's `kind text NOT NULL` column: typing appends to the column name.
  const middle = Math.floor((n - seed * 1000) / 2) + seed * 1000;
  const anchor = `account_event_${middle} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  account_id bigint NOT NULL REFERENCES account (id) ON DELETE CASCADE,\n  kind`;
  const at = text.indexOf(anchor) + anchor.length;
  return { text, typeAt: at, lineCount: text.split('\n').length };
}

/** LSP position (line, UTF-16 character) of an offset. */
export function positionAt(text, offset) {
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, character: offset - lineStart };
}

// The rewriting of the old column's indexes and constraints onto the new column (trio-carry.ts), from
// definitions as PostgreSQL's deparsers write them: only references to the column change (not a string
// or a function of the same name), names fit 63 bytes and do not collide, and what is out of scope is
// named with the reason instead of being dropped silently.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { ScaffoldError } from '../../server/src/engine/scaffold/naming';
import { carryOver, newName, restoreOnWayBack, type TrioCatalog } from '../../server/src/engine/scaffold/trio-carry';
import { initParser } from '../helpers/lint';

before(() => initParser());

const users = { name: 'users' };

describe('trio: carrying indexes and constraints over', () => {
  it('replaces the column where the parse tree refers to it, nowhere else', () => {
    const catalog: TrioCatalog = {
      indexes: [
        { name: 'users_lower_idx', definition: "CREATE INDEX users_lower_idx ON public.users USING btree (lower(lower)) WHERE (status <> 'lower'::text)" },
        { name: 'users_status_idx', definition: 'CREATE INDEX users_status_idx ON public.users USING btree (status)' },
      ],
      constraints: [{ name: 'users_lower_check', definition: "CHECK (lower <> 'lower'::text)" }],
    };
    const carried = carryOver(users, 'lower', 'Lower Case', catalog);
    assert.deepEqual(
      carried.builds.map((b) => b.up),
      ['CREATE INDEX CONCURRENTLY IF NOT EXISTS "users_Lower Case_idx" ON public.users USING btree (lower("Lower Case")) WHERE (status <> \'lower\'::text);\n'],
    );
    assert.deepEqual(carried.builds.map((b) => b.restore), ["CREATE INDEX CONCURRENTLY IF NOT EXISTS users_lower_idx ON public.users USING btree (lower(lower)) WHERE (status <> 'lower'::text);\n"]);
    assert.deepEqual(carried.expandActions, ['ADD CONSTRAINT "users_Lower Case_check" CHECK ("Lower Case" <> \'lower\'::text) NOT VALID']);
  });

  it('names: the column replaced between underscores, else appended; at most 63 bytes; never a name in use', () => {
    const taken = new Set(['users_email_key', 'users_contact_key']);
    assert.equal(newName('users_email_key', 'email', 'contact', taken), 'users_contact_key_1');
    assert.equal(newName('users_emails_idx', 'email', 'contact', taken), 'users_emails_idx_contact');
    assert.equal(newName('idx_users_first_name', 'first_name', 'given_name', taken), 'idx_users_given_name');
    const long = newName('users_name_idx', 'name', 'a_very_long_column_name_that_goes_on_and_on_and_on_for_ever', taken);
    assert.ok(Buffer.byteLength(long) <= 63, long);
    assert.notEqual(newName('users_name_idx', 'name', 'a_very_long_column_name_that_goes_on_and_on_and_on_for_ever', taken), long);
  });

  it('new names avoid the relations of the schema and the names the trio gives itself', () => {
    const catalog: TrioCatalog = {
      indexes: [{ name: 'users_code_idx', definition: 'CREATE INDEX users_code_idx ON public.users USING btree (code)' }],
      constraints: [{ name: 'users_code_not_null_check', definition: 'CHECK (code IS NOT NULL)' }],
      relations: ['users', 'users_code_idx', 'users_promo_idx', 'orders'],
    };
    const carried = carryOver(users, 'code', 'promo', catalog, { reserved: ['users_promo_not_null_check'] });
    assert.deepEqual(carried.builds.map((b) => b.name), ['users_promo_idx_1']);
    assert.deepEqual(carried.expandActions, ['ADD CONSTRAINT users_promo_not_null_check_1 CHECK (promo IS NOT NULL) NOT VALID']);
  });

  it('names what it does not carry, with the reason', () => {
    const catalog: TrioCatalog = {
      indexes: [
        { name: 'users_pkey', definition: 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id, code)' },
        { name: 'users_code_excl', definition: 'CREATE INDEX users_code_excl ON public.users USING gist (code)' },
        { name: 'users_code_idx', definition: 'CREATE INDEX users_code_idx ON ONLY public.users USING btree (code)' },
        { name: 'users_code_broken', definition: 'CREATE INDEX users_code_broken ON public.users USING btree (code)', valid: false },
      ],
      constraints: [
        { name: 'users_pkey', definition: 'PRIMARY KEY (id, code)' },
        { name: 'users_code_excl', definition: 'EXCLUDE USING gist (code WITH =)' },
        { name: 'users_parent_fkey', definition: 'FOREIGN KEY (code) REFERENCES users(code)' },
      ],
      referencedBy: [
        { table: 'public.orders', name: 'orders_code_fkey', definition: 'FOREIGN KEY (user_code) REFERENCES users(code)' },
        { table: 'public.orders', name: 'orders_user_id_fkey', definition: 'FOREIGN KEY (user_id) REFERENCES users(id)' },
      ],
    };
    const carried = carryOver(users, 'code', 'promo', catalog);
    assert.deepEqual(carried.builds, []);
    assert.deepEqual(carried.carried, []);
    assert.deepEqual(carried.notCarried, [
      "PRIMARY KEY users_pkey (a primary key moves with a table rewrite or a new key, not a trio; the contract's DROP COLUMN drops it)",
      "EXCLUDE users_code_excl (an exclusion constraint cannot be built CONCURRENTLY; the contract's DROP COLUMN drops it)",
      'foreign key users_parent_fkey (it references code itself)',
      'index users_code_idx (the table is partitioned: CREATE INDEX CONCURRENTLY cannot build an index on it)',
      'index users_code_broken (it is INVALID: a build that failed; drop it or rebuild it first)',
      "foreign key orders_code_fkey of public.orders (it references code: point it at the new column first, or the contract's DROP COLUMN fails)",
    ]);
  });

  it('carrying over and restoring on the way back refuse the same constraints, each with its reason; a NOT NULL constraint is named as a constraint, not a primary key', () => {
    // PostgreSQL 18's pg_get_constraintdef of a NOT NULL constraint: the scaffold's catalog read leaves
    // those out, but a TrioCatalog may hold one.
    const catalog: TrioCatalog = {
      indexes: [
        { name: 'users_pkey', definition: 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id, code)' },
        { name: 'users_code_excl', definition: 'CREATE INDEX users_code_excl ON public.users USING gist (code)' },
      ],
      constraints: [
        { name: 'users_pkey', definition: 'PRIMARY KEY (id, code)' },
        { name: 'users_code_excl', definition: 'EXCLUDE USING gist (code WITH =)' },
        { name: 'users_code_not_null', definition: 'NOT NULL code' },
        { name: 'users_id_not_null', definition: 'NOT NULL id' },
        { name: 'users_parent_fkey', definition: 'FOREIGN KEY (code) REFERENCES users(code)' },
        { name: 'users_code_check', definition: "CHECK (code <> ''::text)" },
      ],
    };
    const carried = carryOver(users, 'code', 'promo', catalog);
    assert.deepEqual(carried.notCarried, [
      "PRIMARY KEY users_pkey (a primary key moves with a table rewrite or a new key, not a trio; the contract's DROP COLUMN drops it)",
      "EXCLUDE users_code_excl (an exclusion constraint cannot be built CONCURRENTLY; the contract's DROP COLUMN drops it)",
      "constraint users_code_not_null (a trio carries only UNIQUE, FOREIGN KEY and CHECK constraints; the contract's DROP COLUMN drops it)",
      'foreign key users_parent_fkey (it references code itself)',
    ]);
    assert.deepEqual(carried.expandActions, ["ADD CONSTRAINT users_promo_check CHECK (promo <> ''::text) NOT VALID"]);
    assert.deepEqual(carried.builds, [], "the primary key's and the exclusion constraint's indexes are theirs, not carried as indexes");
    const restored = restoreOnWayBack(users, 'code', catalog);
    assert.deepEqual(restored.notRestored, [
      'PRIMARY KEY users_pkey (a primary key is not rebuilt by a trio)',
      'EXCLUDE users_code_excl (an exclusion constraint cannot be built CONCURRENTLY)',
      'constraint users_code_not_null (a trio restores only UNIQUE, FOREIGN KEY and CHECK constraints)',
      'foreign key users_parent_fkey (it references code itself)',
    ]);
    assert.deepEqual(restored.contractDownActions, ["ADD CONSTRAINT users_code_check CHECK (code <> ''::text) NOT VALID"]);
    assert.deepEqual(restored.restores, []);
  });

  it('a definition it cannot read is an error naming it', () => {
    assert.throws(() => carryOver(users, 'code', 'promo', { indexes: [{ name: 'users_code_idx', definition: 'CREATE INDEX users_code_idx ON users USING btree (code' }], constraints: [] }), (e: unknown) => e instanceof ScaffoldError && /index users_code_idx/.test((e as Error).message));
  });
});

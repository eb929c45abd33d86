// The sample change of each trio kind, on a `users` table, shared by the scaffolding tests.

import type { TrioKind, TrioRequest } from '../../server/src/engine/scaffold/trio';

export const SAMPLE_REQUESTS: Record<TrioKind, TrioRequest> = {
  'rename-column': { kind: 'rename-column', table: { name: 'users' }, column: 'name', to: 'full_name', type: 'text', notNull: true },
  'change-type': { kind: 'change-type', table: { name: 'users' }, column: 'score', type: 'bigint', fromType: 'integer', notNull: true, default: '0' },
  'add-not-null-column': { kind: 'add-not-null-column', table: { name: 'users' }, column: 'status', type: 'text', default: "'active'", backfill: "CASE WHEN bio IS NULL THEN 'new' ELSE 'active' END" },
  'set-not-null': { kind: 'set-not-null', table: { name: 'users' }, column: 'email', backfill: "'user' || id || '@example.invalid'" },
  'rename-table': { kind: 'rename-table', table: { name: 'users' }, to: 'accounts' },
  'split-table': { kind: 'split-table', table: { name: 'users' }, to: 'user_profiles', columns: [{ name: 'bio', type: 'text' }, { name: 'avatar_url', type: 'varchar(300)' }] },
  'drop-column': { kind: 'drop-column', table: { name: 'users' }, column: 'legacy_login', type: 'text', notNull: true, default: "''" },
};

/**
 * The sample table's indexes and constraints on `name` and `score` as the dev database's catalog gives
 * them (pg_get_indexdef, pg_get_constraintdef): a plain, a partial, a multi-column and an expression
 * index, UNIQUE, a foreign key and a CHECK on each (and an index, UNIQUE and a CHECK on
 * `legacy_login`); a primary key; a foreign key of another table.
 */
export const SAMPLE_CATALOG: NonNullable<TrioRequest['catalog']> = {
  indexes: [
    { name: 'users_pkey', definition: 'CREATE UNIQUE INDEX users_pkey ON public.users USING btree (id)' },
    { name: 'users_name_key', definition: 'CREATE UNIQUE INDEX users_name_key ON public.users USING btree (name)' },
    { name: 'users_name_idx', definition: 'CREATE INDEX users_name_idx ON public.users USING btree (name DESC NULLS LAST)' },
    { name: 'users_active_name_idx', definition: "CREATE INDEX users_active_name_idx ON public.users USING btree (name) WHERE ((bio IS NULL) AND (name <> ''::text))" },
    { name: 'users_email_name_idx', definition: 'CREATE INDEX users_email_name_idx ON public.users USING btree (email, name) INCLUDE (bio)' },
    { name: 'users_lower_name_idx', definition: 'CREATE INDEX users_lower_name_idx ON public.users USING btree (lower(name))' },
    { name: 'users_score_key', definition: 'CREATE UNIQUE INDEX users_score_key ON public.users USING btree (score)' },
    { name: 'users_score_idx', definition: 'CREATE INDEX users_score_idx ON public.users USING btree (score) WHERE (score > 0)' },
    { name: 'users_email_score_idx', definition: 'CREATE INDEX users_email_score_idx ON public.users USING btree (email, score)' },
    { name: 'users_score_abs_idx', definition: 'CREATE INDEX users_score_abs_idx ON public.users USING btree (abs(score))' },
    { name: 'users_legacy_login_key', definition: 'CREATE UNIQUE INDEX users_legacy_login_key ON public.users USING btree (legacy_login)' },
    { name: 'users_legacy_login_idx', definition: 'CREATE INDEX users_legacy_login_idx ON public.users USING btree (lower(legacy_login))' },
  ],
  constraints: [
    { name: 'users_pkey', definition: 'PRIMARY KEY (id)' },
    { name: 'users_name_key', definition: 'UNIQUE (name)' },
    { name: 'users_name_fkey', definition: 'FOREIGN KEY (name) REFERENCES names(name) ON DELETE CASCADE' },
    { name: 'users_name_check', definition: "CHECK (name <> ''::text)" },
    { name: 'users_score_key', definition: 'UNIQUE (score)' },
    { name: 'users_score_fkey', definition: 'FOREIGN KEY (score) REFERENCES scores(value)' },
    { name: 'users_score_check', definition: 'CHECK (score >= 0 AND score < 1000000)' },
    { name: 'users_legacy_login_key', definition: 'UNIQUE (legacy_login)' },
    { name: 'users_legacy_login_check', definition: "CHECK (legacy_login <> ''::text)", valid: false },
  ],
  referencedBy: [{ table: 'public.orders', name: 'orders_user_id_fkey', definition: 'FOREIGN KEY (user_id) REFERENCES users(id)' }],
};

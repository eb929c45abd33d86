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

-- migrate:up
-- zdm-ignore-file prefer-bigint-over-int
SET lock_timeout = '2s';
-- zdm-ignore ban-drop-column -- the app stopped reading legacy_email in v2.3
ALTER TABLE users DROP COLUMN legacy_email;
-- squawk-ignore adding-required-field, prefer-robust-stmts
ALTER TABLE users ADD COLUMN tenant_id int NOT NULL DEFAULT 1;
-- zdm:verify SELECT count(*) FROM users WHERE tenant_id IS NULL -- expect 0

-- migrate:down
ALTER TABLE users DROP COLUMN tenant_id;

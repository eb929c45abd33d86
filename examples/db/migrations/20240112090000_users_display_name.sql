-- migrate:up transaction:false
SET lock_timeout = '5s';
ALTER TABLE users ADD COLUMN display_name text;
CREATE INDEX CONCURRENTLY users_display_name_idx ON users (display_name);

-- migrate:down transaction:false
SET lock_timeout = '5s';
DROP INDEX CONCURRENTLY users_display_name_idx;
ALTER TABLE users DROP COLUMN display_name;

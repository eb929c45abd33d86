-- migrate:up
SET lock_timeout = '5s';
ALTER TABLE users ADD COLUMN display_name text;

-- migrate:down
SET lock_timeout = '5s';
ALTER TABLE users DROP COLUMN display_name;

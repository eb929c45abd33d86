-- migrate:up transaction:false
SET lock_timeout = '5s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY IF EXISTS users_email_idx;

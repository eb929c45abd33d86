-- The index of the previous migration's column, built without blocking writes. dbmate sends a
-- transaction:false block as one query string: CREATE INDEX CONCURRENTLY stays alone in it.
-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY users_display_name_idx ON users (display_name);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY users_display_name_idx;

-- +goose Up
-- +goose NO TRANSACTION
-- +goose ENVSUB ON
CREATE INDEX CONCURRENTLY orders_created_at_idx ON ${SCHEMA:-public}.orders (created_at);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now(); -- keep in sync
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
-- +goose ENVSUB OFF

-- +goose Down
DROP FUNCTION set_updated_at();
DROP INDEX CONCURRENTLY orders_created_at_idx;

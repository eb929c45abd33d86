-- V3__add_orders.sql: placeholders are replaced by Flyway before the script runs
CREATE TABLE ${flyway:defaultSchema}.orders (
  id bigint PRIMARY KEY,
  note text DEFAULT 'created by ${appUser}'
);
GRANT SELECT ON ${flyway:defaultSchema}.orders TO ${readerRole};

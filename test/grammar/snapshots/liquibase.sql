--liquibase formatted sql

--changeset alice:1 labels:users context:prod
--comment: create the users table
--preconditions onFail:MARK_RAN
--precondition-sql-check expectedResult:0 SELECT count(*) FROM information_schema.tables WHERE table_name = 'users'
CREATE TABLE users (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);
--rollback DROP TABLE users;

--changeset alice:2 runInTransaction:false
CREATE INDEX CONCURRENTLY users_email_idx ON ${schema}.users (email);
/* liquibase rollback
DROP INDEX CONCURRENTLY users_email_idx;
*/

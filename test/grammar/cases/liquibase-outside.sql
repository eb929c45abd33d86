-- SYNTAX TEST "source.sql" "Liquibase's generic words are not directives in a file without the liquibase header"
-- changeset notes: this file is a dbmate migration
-- ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - meta.changelog.liquibase.zdm keyword.control.directive.changeset.liquibase.zdm
--rollback DROP TABLE users;
--^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.rollback.liquibase.zdm meta.embedded.line.sql
--comment: nothing special
--^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.comment.liquibase.zdm
--preconditions onFail:HALT
--^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.preconditions.liquibase.zdm variable.parameter.attribute.zdm
/* liquibase rollback
DROP TABLE users;
-- <---- comment.block - meta.embedded.block.sql
*/
SELECT 1; -- liquibase formatted sql
--        ^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.liquibase.zdm
--changeset alice:1
--^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.changeset.liquibase.zdm

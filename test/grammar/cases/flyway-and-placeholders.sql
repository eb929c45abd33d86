-- SYNTAX TEST "source.sql" "placeholders (Flyway ${name}, goose ENVSUB ${VAR:-default}) in code and strings; Flyway script config"
CREATE TABLE ${schema}.users (id bigint);
--           ^^ source.sql variable.other.placeholder.zdm punctuation.definition.placeholder.begin.zdm
--             ^^^^^^ source.sql variable.other.placeholder.zdm variable.other.placeholder.name.zdm
--                   ^ source.sql variable.other.placeholder.zdm punctuation.definition.placeholder.end.zdm
--                    ^^^^^^^ - variable.other.placeholder.zdm
GRANT SELECT ON ${schema}.users TO ${flyway:user};
--                                 ^^ variable.other.placeholder.zdm punctuation.definition.placeholder.begin.zdm
--                                   ^^^^^^ variable.other.placeholder.zdm entity.name.namespace.flyway.zdm
--                                         ^ variable.other.placeholder.zdm punctuation.separator.namespace.zdm
--                                          ^^^^ variable.other.placeholder.zdm variable.other.placeholder.name.zdm
--                                              ^ punctuation.definition.placeholder.end.zdm
SET search_path TO '${schema}', public;
--                 ^ string.quoted.single.sql punctuation.definition.string.begin.sql
--                  ^^^^^^^^^ string.quoted.single.sql variable.other.placeholder.zdm
--                           ^ string.quoted.single.sql punctuation.definition.string.end.sql - variable.other.placeholder.zdm
--                              ^^^^^^ - string.quoted.single.sql
COMMENT ON TABLE users IS 'owned by ${team.name} since ${year}';
--                        ^^^^^^^^^ string.quoted.single.sql - variable.other.placeholder.zdm
--                                  ^^^^^^^^^^^^ string.quoted.single.sql variable.other.placeholder.zdm
--                                              ^^^^^^^ string.quoted.single.sql - variable.other.placeholder.zdm
--                                                     ^^^^^^^ string.quoted.single.sql variable.other.placeholder.zdm
SELECT N'${x}';
-- <------ keyword.other.DML.sql
--      ^ string.quoted.single.sql punctuation.definition.string.begin.sql
--       ^^^^ string.quoted.single.sql variable.other.placeholder.zdm
SELECT "${schema}".users.id FROM "${schema}".users;
--     ^ string.quoted.double.sql punctuation.definition.string.begin.sql
--      ^^^^^^^^^ string.quoted.double.sql variable.other.placeholder.zdm
--               ^ string.quoted.double.sql punctuation.definition.string.end.sql
--                               ^^^^^^^^^^^ string.quoted.double.sql
--                                ^^^^^^^^^ variable.other.placeholder.zdm
ALTER ROLE ${APP_ROLE:-app} SET statement_timeout = '${TIMEOUT:-5s}';
--         ^^^^^^^^^^^^^^^^ variable.other.placeholder.zdm
--           ^^^^^^^^ variable.other.placeholder.name.zdm
--                   ^^ keyword.operator.default-value.zdm
--                     ^^^ string.unquoted.default-value.zdm
--                                                   ^^^^^^^^^^^^^^ string.quoted.single.sql variable.other.placeholder.zdm
--                                                            ^^ keyword.operator.default-value.zdm
SELECT '${flyway-style-name}';
--        ^^^^^^^^^^^^^^^^^ variable.other.placeholder.name.zdm - keyword.operator.default-value.zdm
INSERT INTO notes (body) VALUES ('first line
second line for ${tenant}
-- <--------------- string.quoted.single.sql - variable.other.placeholder.zdm
--              ^^^^^^^^^ string.quoted.single.sql variable.other.placeholder.zdm
');

-- Not placeholders.
SELECT '$${x}' AS dollar, 'plain ${ text' AS broken, '{x}' AS braces;
--       ^^^^ string.quoted.single.sql variable.other.placeholder.zdm
--                               ^^^^^^^ string.quoted.single.sql - variable.other.placeholder.zdm
--                                                   ^^^^^ string.quoted.single.sql - variable.other.placeholder.zdm
-- a comment mentioning ${schema} stays a plain comment
--                      ^^^^^^^^^ comment.line.double-dash.sql - variable.other.placeholder.zdm
/* ${schema} */
-- ^^^^^^^^^ comment.block - variable.other.placeholder.zdm
SELECT $1, $tag$ text $tag$;
--     ^^^^^^^^^^^^^^^^^^^^ - variable.other.placeholder.zdm

-- Flyway script configuration in a header comment.
-- flyway:executeInTransaction=false
-- <-- meta.directive.flyway.zdm comment.line.double-dash.sql punctuation.definition.comment.sql
-- ^^^^^^^ meta.directive.flyway.zdm comment.line.double-dash.sql keyword.control.directive.flyway.zdm
--        ^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql variable.parameter.attribute.zdm
--                            ^ comment.line.double-dash.sql punctuation.separator.key-value.zdm
--                             ^^^^^ comment.line.double-dash.sql constant.language.boolean.zdm
--flyway:encoding=UTF-8
--^^^^^^^ keyword.control.directive.flyway.zdm
--       ^^^^^^^^ variable.parameter.attribute.zdm
--                ^^^^^ string.unquoted.attribute-value.zdm
-- flyway: see the docs
-- ^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.flyway.zdm
SELECT 1; -- flyway:executeInTransaction=false
--        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.flyway.zdm

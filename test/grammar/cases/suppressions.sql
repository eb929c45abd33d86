-- SYNTAX TEST "source.sql" "zdm-ignore, zdm-ignore-file and squawk-ignore comments; rule ids get their own scope"
-- zdm-ignore ban-drop-column, renaming-column -- the column has been unused since v1.4
-- <-- source.sql meta.directive.ignore.zdm comment.line.double-dash.sql punctuation.definition.comment.sql
-- ^^^^^^^^^^ meta.directive.ignore.zdm comment.line.double-dash.sql keyword.control.directive.ignore.zdm
--            ^^^^^^^^^^^^^^^ meta.directive.ignore.zdm comment.line.double-dash.sql entity.name.tag.rule.zdm
--                           ^ comment.line.double-dash.sql punctuation.separator.comma.zdm
--                             ^^^^^^^^^^^^^^^ comment.line.double-dash.sql entity.name.tag.rule.zdm
--                                             ^^ comment.line.double-dash.sql punctuation.separator.reason.zdm - entity.name.tag.rule.zdm
--                                                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql meta.reason.zdm - entity.name.tag.rule.zdm
ALTER TABLE users DROP COLUMN legacy_name;
-- <----- keyword.other.create.sql - meta.directive.ignore.zdm
-- zdm-ignore-file
-- ^^^^^^^^^^^^^^^ comment.line.double-dash.sql keyword.control.directive.ignore-file.zdm - keyword.control.directive.ignore.zdm
-- zdm-ignore-file require-concurrent-index-creation
-- ^^^^^^^^^^^^^^^ keyword.control.directive.ignore-file.zdm
--                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql entity.name.tag.rule.zdm
--zdm-ignore prefer-robust-stmts,prefer-bigint-over-int
--^^^^^^^^^^ keyword.control.directive.ignore.zdm
--           ^^^^^^^^^^^^^^^^^^^ entity.name.tag.rule.zdm
--                              ^ punctuation.separator.comma.zdm
--                               ^^^^^^^^^^^^^^^^^^^^^^ entity.name.tag.rule.zdm
    -- zdm-ignore ban-drop-table
-- <---- punctuation.whitespace.comment.leading.sql
--     ^^^^^^^^^^ keyword.control.directive.ignore.zdm
--                ^^^^^^^^^^^^^^ entity.name.tag.rule.zdm

-- squawk-ignore ban-drop-column, renaming-column
-- ^^^^^^^^^^^^^ meta.directive.ignore.squawk.zdm comment.line.double-dash.sql keyword.control.directive.ignore.squawk.zdm
--               ^^^^^^^^^^^^^^^ comment.line.double-dash.sql entity.name.tag.rule.zdm
--                              ^ punctuation.separator.comma.zdm
--                                ^^^^^^^^^^^^^^^ entity.name.tag.rule.zdm
-- squawk-ignore-file
-- ^^^^^^^^^^^^^^^^^^ keyword.control.directive.ignore-file.squawk.zdm
-- squawk-ignore-file prefer-bigint-over-int, prefer-robust-stmts
-- ^^^^^^^^^^^^^^^^^^ keyword.control.directive.ignore-file.squawk.zdm
--                    ^^^^^^^^^^^^^^^^^^^^^^ entity.name.tag.rule.zdm

-- Not suppressions.
SELECT 1; -- zdm-ignore ban-drop-table
--        ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.ignore.zdm entity.name.tag.rule.zdm
-- use zdm-ignore ban-drop-table to silence it
--     ^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.ignore.zdm entity.name.tag.rule.zdm
-- zdm-ignored on purpose
-- ^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.ignore.zdm entity.name.tag.rule.zdm
-- squawk-ignorefile x
-- ^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.ignore.squawk.zdm
SELECT '-- zdm-ignore ban-drop-table';
--      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^ string.quoted.single.sql - keyword.control.directive.ignore.zdm entity.name.tag.rule.zdm

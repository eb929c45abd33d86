-- SYNTAX TEST "source.sql" "ordinary comments stay plain comments"
-- Add the users table (migrate up first, then down)
-- <-- source.sql comment.line.double-dash.sql punctuation.definition.comment.sql
-- ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ source.sql comment.line.double-dash.sql - meta.directive.dbmate.zdm meta.directive.goose.zdm meta.directive.ignore.zdm meta.directive.verify.zdm
-- TODO: expect 0 rows; rollback is manual; see changeset notes
-- ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.expect.zdm keyword.control.directive.rollback.liquibase.zdm
-- https://example.com/docs?x=${y}
-- ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - variable.other.placeholder.zdm
CREATE TABLE users (
  id bigint PRIMARY KEY, -- migrate:down is below
--                       ^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.down.dbmate.zdm
  email text NOT NULL    -- zdm-ignore prefer-text-field
--                       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - entity.name.tag.rule.zdm
);
/*
 * migrate:up
-- <----------- comment.block - keyword.control.directive.up.dbmate.zdm
-- +goose Up
-- <----------- comment.block - keyword.control.directive.goose.zdm comment.line.double-dash.sql
-- zdm-ignore ban-drop-table
-- <------------------------- comment.block - entity.name.tag.rule.zdm
 */
SELECT 1;
-- <------ source.sql keyword.other.DML.sql - comment.block

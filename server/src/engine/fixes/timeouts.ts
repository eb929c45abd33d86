// `SET lock_timeout` / `SET statement_timeout` fixes, with the values from .zdm.json: at the top of the
// section (the start of its first statement's line, below the comments that describe the migration),
// or right before one statement when a setting earlier in the section is 0 or too long. Every rule
// that asks for a timeout at the top makes the same edit, so applying all safe fixes adds it once.

import { parseDuration } from '../config/config';
import { timeoutSetting } from '../context';
import type { Section, Statement } from '../model';
import type { FixSpec, RuleContext } from '../rules/types';
import { lineStartOf } from '../text/offsets';
import { eolOf, indentOf } from './statements';

/** The start of the line of the section's first statement (or of the goose block holding it). */
export function sectionTop(context: RuleContext, section: Section): number {
  const first = context.facts.sectionStatements(section)[0];
  if (!first) return section.span.start;
  return insertionPointBefore(first);
}

/**
 * Where a statement inserted before `s` goes: the start of its line, or of the query string holding it
 * (a goose StatementBegin block, statements psql joins with `\\;`, what a Liquibase changeset sends
 * between two delimiters), so that the new statement is not sent in the same query string, which
 * would make it one implicit transaction.
 */
export function insertionPointBefore(s: Statement): number {
  const block = queryStringOf(s);
  if (block) return block.start;
  // The start of its line (a lone \r ends a line too), not before the section.
  return Math.max(s.section.span.start, lineStartOf(s.section.source, s.span.start));
}

/**
 * What follows a statement inserted at `insertionPointBefore(s)`, after its line break, so that the
 * tool sends it alone: where a delimiter ends the query string (Liquibase's `endDelimiter`), the
 * delimiter on a line of its own; nothing elsewhere.
 */
export function queryStringEnd(s: Statement): string {
  const separator = s.section.queryStringSeparator;
  return separator !== undefined && queryStringOf(s) ? `${separator}${eolOf(s.section.source)}` : '';
}

function queryStringOf(s: Statement) {
  return s.section.queryStrings?.find((q) => q.start <= s.span.start && s.span.end <= q.end);
}

/** `SET <name> = '<value>';` at the top of the section. */
export function timeoutAtTopFix(context: RuleContext, section: Section, name: 'lock_timeout' | 'statement_timeout', value: string): FixSpec {
  const at = sectionTop(context, section);
  const first = context.facts.sectionStatements(section)[0];
  const end = first ? queryStringEnd(first) : '';
  return { title: `Add SET ${name} = '${value}' at the top of the section`, edits: [{ span: { start: at, end: at }, newText: `SET ${name} = '${value}';${eolOf(section.source)}${end}` }] };
}

/**
 * A short lock_timeout for `s`: at the top of the section when none is set or reset before it, else (the one in
 * force is 0 or above maxLockTimeout) right before it.
 */
export function shortLockTimeoutFix(context: RuleContext, s: Statement): FixSpec {
  const value = context.config.lockTimeout;
  const inForce = context.factsOf(s).lockTimeout;
  if (!inForce) return timeoutFix(context, s, 'lock_timeout', value);
  const max = parseDuration(context.config.maxLockTimeout);
  const preferred = parseDuration(value);
  const short = preferred !== undefined && preferred > 0 && (max === undefined || preferred <= max) ? value : context.config.maxLockTimeout;
  return timeoutBeforeFix(s, 'lock_timeout', short);
}

/**
 * A SET of the timeout for `s`: at the top of the section, or right before `s` when a statement between
 * them sets or resets it (SET ... = 0, RESET), which would override the one at the top.
 */
export function timeoutFix(context: RuleContext, s: Statement, name: 'lock_timeout' | 'statement_timeout', value: string): FixSpec {
  return setEarlierInSection(context, s, name) ? timeoutBeforeFix(s, name, value) : timeoutAtTopFix(context, s.section, name, value);
}

/** Whether a statement of `s`'s section before it sets or resets the timeout. */
export function setEarlierInSection(context: RuleContext, s: Statement, name: 'lock_timeout' | 'statement_timeout'): boolean {
  const list = context.facts.sectionStatements(s.section);
  for (let i = 0; i < list.length && list[i].index < s.index; i++) if (timeoutSetting(list[i])?.name === name) return true;
  return false;
}

/**
 * `SET <name> = '<value>';` on its own line right before `s`: where a SET earlier in the section (to 0)
 * is in force, one at the top of the section changes nothing, and `--fix` would add it pass after pass.
 */
export function timeoutBeforeFix(s: Statement, name: 'lock_timeout' | 'statement_timeout', value: string): FixSpec {
  const at = insertionPointBefore(s);
  return { title: `Add SET ${name} = '${value}' before it`, edits: [{ span: { start: at, end: at }, newText: `${indentOf(s)}SET ${name} = '${value}';${eolOf(s.section.source)}${queryStringEnd(s)}` }] };
}

// Placeholders a migration tool substitutes before it runs a script: Flyway's `${name}` (on by default,
// `${flyway:defaultSchema}` and the project's own) and goose's `${VAR}` under `-- +goose ENVSUB ON`.
// PostgreSQL's grammar knows none of them, so a statement holding one would be a syntax error and go
// unlinted. The parser reads each as a quoted identifier of the same length instead (`${x}` as `"{x"`),
// which keeps every offset, and what the rules then say (messages, generated SQL) shows the placeholder
// as written again.

import type { Section } from '../model';
import { parseStatement, type ParseOutcome } from './parser';

const PLACEHOLDER = /\$\{([^}"\n]*)\}/g;
const MASKED = /"\{([^"\n]*)"/g;

/** `text` with each `${name}` written `"{name"`: the same length, and an identifier to the parser. */
export function maskPlaceholders(text: string): string {
  return text.replace(PLACEHOLDER, '"{$1"');
}

/** The placeholders of a masked text (or SQL built from its names) as they were written. */
export function unmaskPlaceholders(text: string): string {
  return text.includes('"{') ? text.replace(MASKED, '$${$1}') : text;
}

/** Parses a statement of `section`, reading its placeholders as identifiers when the tool substitutes them. */
export function parseSectionStatement(section: Pick<Section, 'placeholders'>, text: string): ParseOutcome {
  return parseStatement(section.placeholders && text.includes('${') ? maskPlaceholders(text) : text);
}

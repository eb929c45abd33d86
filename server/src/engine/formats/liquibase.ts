// Liquibase formatted SQL: a file starting `--liquibase formatted sql`, holding changesets
// (`--changeset author:id attr:value ...`), each followed by its SQL and its rollback, written as
// `--rollback <sql>` lines or a `/* liquibase rollback ... */` block. `--rollback not required` and
// `--rollback empty` declare that no rollback is needed. Each changeset, and its rollback, runs in a
// transaction unless it says `runInTransaction:false`.
//
// The rollback SQL lives inside comments, so its section gets its own `source`: a copy of the file
// text of the same length where everything but the rollback SQL is blanked, which keeps offsets true.

import { basenameOf } from '../paths';
import type { MigrationDocument, Section } from '../model';
import { baseDocument, findMarkerLines, firstLineSpan, type FormatModule, nextLineStart, problem, section } from './common';

const HEADER = /^--\s*liquibase\s+formatted\s+sql\b/i;
const CHANGESET = /^--\s*changeset\s+(\S+?):(\S+)(.*)$/i;
const ROLLBACK_LINE = /^--\s*rollback\b ?(.*)$/i;
const ROLLBACK_BLOCK = /\/\*\s*liquibase\s+rollback\b([\s\S]*?)\*\//gi;

export const liquibase: FormatModule = {
  id: 'liquibase',
  name: 'Liquibase formatted SQL',
  supportsDown: true,
  hasMarkers: (text) => HEADER.test(text.trimStart()),
  describe(filePath, text): MigrationDocument {
    const doc = baseDocument(filePath, text, 'liquibase', true, 'migration');
    doc.description = basenameOf(filePath, '.sql');
    const changesets = findMarkerLines(text, CHANGESET);
    if (changesets.length === 0) {
      doc.problems.push(problem('migration-format', "A Liquibase formatted SQL file needs at least one '--changeset author:id' line.", firstLineSpan(text)));
    }
    for (let i = 0; i < changesets.length; i++) {
      const marker = changesets[i];
      const label = `${marker.match[1]}:${marker.match[2]}`;
      const attributes = parseAttributes(marker.match[3]);
      const dbms = attributes.get('dbms');
      if (dbms && !dbms.split(',').some((d) => /^(postgresql|all)$/i.test(d.trim()))) continue;
      const noTransaction = attributes.get('runintransaction') === 'false';
      const start = nextLineStart(text, marker.span.end);
      const end = i + 1 < changesets.length ? changesets[i + 1].span.start : text.length;
      const up = section('up', { start: Math.min(start, end), end }, noTransaction ? 'none' : 'transaction', noTransaction ? '`runInTransaction:false` on the changeset' : 'Liquibase runs each changeset in a transaction', text, { marker: marker.span, label });
      doc.sections.push(up);
      const down = rollbackSection(text, up, label);
      if (down) doc.sections.push(down);
    }
    return doc;
  },
};

/** Liquibase rollback statements are comments: build a blanked source holding only them. */
function rollbackSection(text: string, up: Section, label: string): Section | undefined {
  const body = text.slice(up.span.start, up.span.end);
  const pieces: { start: number; end: number }[] = [];
  let declaredNone = false;
  for (const line of findMarkerLines(body, ROLLBACK_LINE)) {
    const sql = line.match[1];
    if (/^\s*(not\s+required|empty)\s*$/i.test(sql)) {
      declaredNone = true;
      continue;
    }
    const start = up.span.start + line.span.start + line.match[0].length - sql.length;
    pieces.push({ start, end: up.span.start + line.span.end });
  }
  ROLLBACK_BLOCK.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = ROLLBACK_BLOCK.exec(body)) !== null) {
    const start = up.span.start + m.index + m[0].indexOf(m[1]);
    pieces.push({ start, end: start + m[1].length });
  }
  if (pieces.length === 0 && !declaredNone) return undefined;
  const chars = text.replace(/[^\r\n]/g, ' ').split('');
  for (const p of pieces) for (let i = p.start; i < p.end; i++) chars[i] = text[i];
  const source = chars.join('');
  pieces.sort((a, b) => a.start - b.start);
  const span = pieces.length > 0 ? { start: pieces[0].start, end: pieces[pieces.length - 1].end } : { start: up.span.end, end: up.span.end };
  // A changeset's rollback runs as the changeset does: in a transaction unless `runInTransaction:false`.
  const none = up.transaction === 'none';
  const why = none ? '`runInTransaction:false` on the changeset (its rollback runs outside a transaction too)' : 'Liquibase runs each rollback in a transaction';
  return section('down', span, none ? 'none' : 'transaction', why, source, { label, declaredEmpty: declaredNone && pieces.length === 0 });
}

function parseAttributes(rest: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of rest.matchAll(/([A-Za-z]+):("[^"]*"|\S+)/g)) out.set(m[1].toLowerCase(), m[2].replace(/^"|"$/g, '').toLowerCase());
  return out;
}

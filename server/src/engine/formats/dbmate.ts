// dbmate: one file per migration, `YYYYMMDDHHMMSS_description.sql`, with `-- migrate:up` and
// `-- migrate:down` blocks. Each block runs in a transaction unless its marker says `transaction:false`;
// such a block is still sent as one query string (dbmate's `Exec` of the whole block), which
// PostgreSQL runs as one implicit transaction when it holds more than one statement: CREATE INDEX
// CONCURRENTLY must be alone in its block (checked with the dbmate binary: SET lock_timeout before it
// makes it fail with "cannot run inside a transaction block").
// dbmate finds markers with the pattern `^--\s*migrate:(up|down)` on each line, and so do we.

import { basenameOf } from '../paths';
import type { MigrationDocument } from '../model';
import { baseDocument, findMarkerLines, firstLineSpan, type FormatModule, nextLineStart, problem, section, versionAndDescription } from './common';

export const DBMATE_MARKER = /^--\s*migrate:(up|down)(.*)$/;

export const dbmate: FormatModule = {
  id: 'dbmate',
  name: 'dbmate',
  supportsDown: true,
  hasMarkers: (text) => /^--\s*migrate:(up|down)/m.test(text),
  describe(filePath, text): MigrationDocument {
    const doc = baseDocument(filePath, text, 'dbmate', true, 'migration');
    Object.assign(doc, versionAndDescription(basenameOf(filePath, '.sql')));
    const markers = findMarkerLines(text, DBMATE_MARKER);
    for (let i = 0; i < markers.length; i++) {
      const marker = markers[i];
      const kind = marker.match[1] as 'up' | 'down';
      const options = parseOptions(marker.match[2]);
      const start = nextLineStart(text, marker.span.end);
      const end = i + 1 < markers.length ? markers[i + 1].span.start : text.length;
      const noTransaction = options.get('transaction') === 'false';
      doc.sections.push(
        section(kind, { start: Math.min(start, end), end }, noTransaction ? 'implicit' : 'transaction', noTransaction ? `dbmate sends a \`transaction:false\` block as one query string` : 'dbmate wraps each block in a transaction', text, { marker: marker.span }),
      );
    }
    const ups = doc.sections.filter((s) => s.kind === 'up');
    const downs = doc.sections.filter((s) => s.kind === 'down');
    if (ups.length === 0) {
      doc.problems.push(problem('migration-format', "dbmate requires each migration to define an up block with '-- migrate:up'.", firstLineSpan(text), "Add a '-- migrate:up' line before the migration's statements."));
    }
    for (const extra of [...ups.slice(1), ...downs.slice(1)]) {
      doc.problems.push(problem('migration-format', `This file has more than one '-- migrate:${extra.kind}' block; dbmate uses only the first.`, extra.marker!));
    }
    if (ups.length > 0 && downs.length > 0 && downs[0].span.start < ups[0].span.start) {
      doc.problems.push(problem('migration-format', "'-- migrate:down' comes before '-- migrate:up'; dbmate expects the up block first.", downs[0].marker!));
    }
    const firstMarker = markers[0]?.span.start ?? text.length;
    const before = text.slice(0, firstMarker);
    if (markers.length > 0 && hasSql(before)) {
      doc.problems.push(problem('migration-format', "dbmate does not run statements placed before '-- migrate:up'.", { start: 0, end: firstMarker }, 'Move them into the up block.'));
    }
    return doc;
  },
};

function parseOptions(rest: string): Map<string, string> {
  const options = new Map<string, string>();
  for (const part of rest.trim().split(/\s+/)) {
    const m = /^([A-Za-z_]+):(\S+)$/.exec(part);
    if (m) options.set(m[1].toLowerCase(), m[2].toLowerCase());
  }
  return options;
}

/** True when `text` holds something other than whitespace and comments. */
function hasSql(text: string): boolean {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split(/\r?\n/)
    .some((line) => line.trim() !== '' && !line.trim().startsWith('--'));
}

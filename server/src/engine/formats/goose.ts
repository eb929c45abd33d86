// goose: `NNNNN_name.sql` or `YYYYMMDDHHMMSS_name.sql` with `-- +goose Up` / `-- +goose Down`
// annotations. Each direction runs in a transaction unless the file says `-- +goose NO TRANSACTION`.
// `StatementBegin` / `StatementEnd` group statements for goose's own splitter (ours splits correctly
// inside them anyway); goose sends each block as one query string, so under NO TRANSACTION a block of
// several statements still runs as one implicit transaction (`Section.queryStrings`). Outside a block,
// goose ends a statement at every line ending with `;`, inside a dollar quote too: such a cut is
// reported (goose-cuts.ts). For the same reason, statements sharing a line (`a; b;`) reach PostgreSQL as
// one query string, and under NO TRANSACTION as one implicit transaction too (`queryStrings` again).
// goose does not empty what it holds at a StatementBegin line: a statement before the block whose line
// does not end with `;` is sent with the block, as one query string (goose-cuts.ts).

import { basenameOf } from '../paths';
import type { FormatProblem, MigrationDocument, Span } from '../model';
import { gooseBlockQueryStart, gooseCutInsideStatement, gooseJoinedStatements, gooseUnfinished, wrapFix } from './goose-cuts';
import { splitStatements } from '../sql/split';
import { brokenDollarQuotes, gooseEnvsubLines, readEnvsubLine } from './goose-envsub';
import { baseDocument, findMarkerLines, firstLineSpan, type FormatModule, nextLineStart, problem, section, versionAndDescription } from './common';

const ANNOTATION = /^--\s*\+goose\s+(.*?)\s*$/;

export const goose: FormatModule = {
  id: 'goose',
  name: 'goose',
  supportsDown: true,
  hasMarkers: (text) => /^--\s*\+goose\s+(up|down)\b/im.test(text),
  describe(filePath, text): MigrationDocument {
    const doc = baseDocument(filePath, text, 'goose', true, 'migration');
    Object.assign(doc, versionAndDescription(basenameOf(filePath, '.sql')));
    const annotations = findMarkerLines(text, ANNOTATION);
    const noTransaction = annotations.some((a) => /^no\s+transaction$/i.test(a.match[1]));
    // ENVSUB ON ... OFF: goose substitutes ${VAR} from the environment in those lines (goose-envsub.ts).
    const envsub = { up: gooseEnvsubLines(text, 'up'), down: gooseEnvsubLines(text, 'down') };
    const directions = annotations.filter((a) => /^(up|down)$/i.test(a.match[1]));
    for (let i = 0; i < directions.length; i++) {
      const marker = directions[i];
      const kind = marker.match[1].toLowerCase() as 'up' | 'down';
      const start = nextLineStart(text, marker.span.end);
      const end = i + 1 < directions.length ? directions[i + 1].span.start : text.length;
      const span = { start: Math.min(start, end), end };
      // goose runs the first block of each direction; ENVSUB lines are those it reads in this one.
      const lines = envsub[kind].filter((l) => span.start <= l.start && l.end <= span.end);
      doc.sections.push(
        section(kind, span, noTransaction ? 'none' : 'transaction', noTransaction ? 'the `-- +goose NO TRANSACTION` annotation' : 'goose wraps each direction in a transaction', text, { marker: marker.span, ...(lines.length > 0 ? { placeholders: 'braces' as const, substitutedLines: lines } : {}) }),
      );
    }
    if (!doc.sections.some((s) => s.kind === 'up')) {
      doc.problems.push(problem('migration-format', "goose needs a '-- +goose Up' annotation before the migration's statements.", firstLineSpan(text)));
    }
    let open: (typeof annotations)[number] | undefined;
    const blocks: Span[] = [];
    for (const a of annotations) {
      if (/^statementbegin$/i.test(a.match[1])) {
        if (open) doc.problems.push(problem('migration-format', "'-- +goose StatementBegin' inside another StatementBegin block.", a.span));
        open = a;
      } else if (/^statementend$/i.test(a.match[1])) {
        if (!open) doc.problems.push(problem('migration-format', "'-- +goose StatementEnd' without a StatementBegin.", a.span));
        else {
          const block = { start: open.span.start, end: a.span.end };
          const holder = doc.sections.find((s) => s.span.start <= block.start && block.end <= s.span.end);
          if (holder) (holder.statementBlocks ??= []).push(block);
          if (holder && noTransaction) {
            // What goose holds at the StatementBegin line goes with the block (goose-cuts.ts).
            const from = gooseBlockQueryStart(text, holder.span, block, blocks);
            (holder.queryStrings ??= []).push({ start: from, end: block.end });
            if (from < block.start) holder.queryStringSource = 'goose sends a StatementBegin/StatementEnd block as one query string, with what it read before the block and had not yet sent (no line ending with `;` ended it)';
            else holder.queryStringSource ??= 'goose sends the StatementBegin/StatementEnd block as one query string';
          }
          blocks.push(block);
        }
        open = undefined;
      } else if (/^(up|down)$/i.test(a.match[1]) && open) {
        doc.problems.push(problem('migration-format', "'-- +goose StatementBegin' is never closed by '-- +goose StatementEnd'.", open.span));
        open = undefined;
      } else if (!/^(up|down|no\s+transaction|envsub\s+(on|off))$/i.test(a.match[1])) {
        doc.problems.push(problem('migration-format', `Unknown goose annotation '${a.match[1]}'.`, a.span, 'goose knows Up, Down, StatementBegin, StatementEnd, NO TRANSACTION and ENVSUB ON/OFF.'));
      }
    }
    if (open) doc.problems.push(problem('migration-format', "'-- +goose StatementBegin' is never closed by '-- +goose StatementEnd'.", open.span));
    else {
      for (const s of doc.sections) {
        const joined = noTransaction ? gooseJoinedStatements(s, blocks) : [];
        if (joined.length > 0) {
          s.queryStrings = [...(s.queryStrings ?? []), ...joined].sort((a, b) => a.start - b.start);
          s.queryStringSource = s.queryStringSource
            ? 'goose sends a StatementBegin/StatementEnd block as one query string, and statements that share a line too (it ends a statement only where a line ends with `;`)'
            : 'goose ends a statement only where a line ends with `;`, so it sends these statements together as one query string';
        }
        const unfinished = gooseUnfinished(s, blocks);
        if (unfinished) {
          doc.problems.push({
            ...problem(
              'migration-format',
              `goose never sends this statement: it ends a statement only at a line whose last word ends with \`;\`${unfinished.terminated ? ' (here something other than a `--` comment follows the `;` on its line)' : ', and this one has no `;`'}. At the ${s.kind === 'up' && s.span.end < text.length ? "'-- +goose Down' line" : 'end of the file'} goose stops: "failed to parse migration: ... unexpected unfinished SQL query: ...: missing semicolon?" (older goose versions, reading the up direction, dropped it without a word when a Down section followed, and recorded the migration as applied without it).`,
              unfinished.statement,
              unfinished.terminated ? 'End the line with the `;` (only a `--` comment may follow it).' : 'End the statement with `;`.',
            ),
            ...(unfinished.terminated ? {} : { fixes: [{ title: 'Add the `;`', edits: [{ span: { start: unfinished.end, end: unfinished.end }, newText: ';' }], safe: true }] }),
            failsRun: true,
          });
        }
        const cut = gooseCutInsideStatement(s, blocks);
        if (!cut) continue;
        doc.problems.push({
          ...problem(
            'migration-format',
            "goose cuts this statement at the `;` that ends this line: outside a StatementBegin/StatementEnd block it ends a statement at every line ending with `;`, and does not read dollar quotes, strings or comments. PostgreSQL receives the statement cut in two, and the migration fails (\"unterminated dollar-quoted string\").",
            { start: cut.at, end: cut.at + 1 },
            "Wrap the statement in '-- +goose StatementBegin' and '-- +goose StatementEnd' lines.",
          ),
          ...(cut.fix ? { fixes: [cut.fix] } : {}),
          failsRun: true,
        });
      }
    }
    for (const s of doc.sections) if (s.substitutedLines) doc.problems.push(...envsubProblems(text, s.span, s.substitutedLines));
    return doc;
  },
};

/**
 * What goose's ENVSUB cannot run in a section: a line its interpolation cannot read (goose stops:
 * "variable substitution failed"), and a dollar quote whose `$$` it turns into `$` (goose-envsub.ts).
 * Both fail the run under goose; zdm, which would run the file as written, refuses them the same way.
 */
function envsubProblems(text: string, span: Span, lines: readonly Span[]): FormatProblem[] {
  const out: FormatProblem[] = [];
  const wrap = "Put the lines goose must send as written between '-- +goose ENVSUB OFF' and '-- +goose ENVSUB ON' lines.";
  for (const line of lines) {
    const read = readEnvsubLine(text, line);
    if ('items' in read) continue;
    out.push({
      ...problem(
        'migration-format',
        `goose cannot substitute this line under '-- +goose ENVSUB ON': ${read.error}. goose stops the migration ("variable substitution failed") before running any of it (a \`\$\` meant as text, in a string, is written \`$$\` under ENVSUB).`,
        { start: read.at, end: Math.min(Math.max(read.at + 1, line.end), line.end) },
        wrap,
      ),
      failsRun: true,
      failsFile: true,
    });
  }
  let statements: Span[] | undefined;
  for (const broken of brokenDollarQuotes(text, span.start, span.end, lines)) {
    const changed = text.slice(broken.item.start, broken.item.end);
    statements ??= splitStatements(text, span.start, span.end).statements.map((s) => s.span);
    const statement = statements.find((s) => s.start <= broken.span.start && broken.span.start < s.end);
    const fix = statement && wrapFix(text, statement, span.end, ['-- +goose ENVSUB OFF', '-- +goose ENVSUB ON'], 'Turn ENVSUB off around this statement');
    // A variable in the statement would then be sent as written: the edit needs a look then.
    if (fix && statement) fix.safe = !lines.some((l) => statement.start < l.end && l.start < statement.end && hasExpansion(readEnvsubLine(text, l)));
    const what = broken.item.kind === 'escape' ? `reads \`${changed}\` as an escaped \`$\` and sends \`$\`` : `reads \`${changed}\` as the environment variable ${broken.item.kind === 'expansion' ? broken.item.name : ''} and sends its value`;
    out.push({
      ...problem(
        'migration-format',
        `Under '-- +goose ENVSUB ON' goose ${what}, so the dollar quote \`${broken.delimiter}\` never reaches PostgreSQL and the migration fails (goose issue #347). zdm would run the file as written, which goose does not.`,
        broken.span,
        "Turn substitution off around the function: a '-- +goose ENVSUB OFF' line before the statement and '-- +goose ENVSUB ON' after it (inside the body, lines that need a variable can turn it on again).",
      ),
      ...(fix ? { fixes: [fix] } : {}),
      failsRun: true,
    });
  }
  return out.sort((a, b) => a.span.start - b.span.start);
}

function hasExpansion(line: ReturnType<typeof readEnvsubLine>): boolean {
  return 'items' in line && line.items.some((i) => i.kind === 'expansion');
}

// The lint threads render each file's part of the output as they go (cli/reporters.ts renderFilePart)
// and a worker sends the main thread that text instead of every finding. The whole output, put
// together from the parts, must be what rendering all reports at the end gives, for every format that
// is rendered per file, with findings, rule failures, files without either, and none at all.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { OUTPUT_FORMATS, render, renderChunks, renderFilePart, rendersPerFile, severitiesOf, withRenderedPart, type OutputFormat } from '../../server/src/cli/reporters';
import type { FileReport, ReportedFinding } from '../../server/src/engine/report';

function finding(rule: string, severity: ReportedFinding['severity'], line: number, extra: Partial<ReportedFinding> = {}): ReportedFinding {
  return { rule, severity, message: `${rule} at line ${line}: "quoted", 100%, a\\b`, line, column: 3, endLine: line, endColumn: 9, sourceLines: [`\tCREATE INDEX i${line} ON t (c);`], ...extra };
}

const REPORTS: FileReport[] = [
  { file: '/p/db/migrations/1_a.sql', findings: [finding('require-concurrent-index-creation', 'error', 3, { help: 'Use CONCURRENTLY.\nThen commit.', fixes: [{ title: 'Add CONCURRENTLY', safe: true }] }), finding('require-lock-timeout', 'warning', 3)], ruleFailures: [] },
  { file: '/p/db/migrations/2_b.sql', findings: [], ruleFailures: [] },
  { file: '/p/db/migrations/3_c.sql', findings: [], ruleFailures: [{ rule: 'wide-lock-window', message: 'TypeError: x is undefined\n    at check' }], skipped: undefined },
  { file: '/p/db/migrations/4_d.sql', findings: [finding('prefer-text-field', 'info', 1, { endLine: 2, sourceLines: ['CREATE TABLE t (', '  c varchar(10));'] }), finding('identifier-too-long', 'hint', 7)], ruleFailures: [] },
  { file: '/elsewhere/5_e.sql', findings: [finding('ban-drop-table', 'error', 12)], ruleFailures: [] },
];

const FORMATS: OutputFormat[] = ['text', 'json', 'github'];

describe('output rendered per file by the lint threads', () => {
  for (const format of FORMATS) {
    for (const color of format === 'text' ? [false, true] : [false]) {
      it(`${format}${color ? ' (color)' : ''}: the parts put together are the whole output`, () => {
        assert.ok(rendersPerFile(format));
        const options = { cwd: '/p', color, fileCount: 5, version: 'test' };
        const sets: FileReport[][] = [REPORTS, REPORTS.slice(1, 3), [], [REPORTS[4]]];
        for (const reports of sets) {
          const whole = render(format, reports, options);
          const parted: FileReport[] = reports.map((r) => withRenderedPart(r, { format: format as 'text', cwd: '/p', color }));
          assert.ok(parted.every((r) => r.findings.length === 0 && r.rendered !== undefined));
          assert.equal(render(format, parted, options), whole);
          assert.deepEqual(parted.map(severitiesOf), reports.map((r) => r.findings.map((f) => f.severity)));
        }
      });
    }
  }

  it('SARIF lists the rules of all files first: it is rendered whole, at the end', () => {
    assert.equal(rendersPerFile('sarif'), false);
  });

  it('a part rendered for other options is refused, not output wrong', () => {
    const parted = withRenderedPart(REPORTS[0], { format: 'json', cwd: '/p', color: false });
    assert.throws(() => render('text', [parted], { cwd: '/p', color: false, fileCount: 1, version: 'test' }), /rendered for json output, not text/);
  });
});

describe('file paths in the output', () => {
  it('are relative to the working folder for files inside it, whole otherwise (as path.relative decides)', () => {
    const files = ['/p/a.sql', '/p/db/m/1.sql', '/p/db/m/2.sql', '/p/db/n/1.sql', '/p/..x.sql', '/p/..d/1.sql', '/q/1.sql', '/p2/1.sql', '/1.sql', '/p/db/../a.sql', 'rel/1.sql'];
    for (const cwd of ['/p', '/p/db', '/', '/q/r']) {
      const reports: FileReport[] = files.map((file) => ({ file, findings: [finding('ban-drop-table', 'error', 1)], ruleFailures: [] }));
      const shown = (JSON.parse(render('json', reports, { cwd, color: false, fileCount: files.length, version: 'test' })) as { file: string }[]).map((f) => f.file);
      const expected = files.map((file) => {
        const relative = path.relative(cwd, file);
        return relative.startsWith('..') ? file : relative;
      });
      assert.deepEqual(shown, expected, cwd);
    }
  });
});

describe('output written in pieces', () => {
  it('renderChunks gives the output in pieces of ~256 KB that together are the whole, for every format', () => {
    // 3,000 files, a few MB of output: several pieces.
    const many: FileReport[] = [];
    for (let i = 0; i < 600; i++) for (const r of REPORTS) many.push({ ...r, file: r.file.replace(/(\d+_)/, `${String(i).padStart(4, '0')}_$1`) });
    const options = { cwd: '/p', color: false, fileCount: many.length, version: 'test' };
    const partsOf = (format: 'text' | 'json' | 'github') => many.map((r) => renderFilePart(r, { format, cwd: '/p', color: false })).filter((p) => p !== '');
    const summary = 'Found 1200 errors, 600 warnings, 600 info, 600 hints in 1800 files (3000 files linted).';
    const expected: Record<OutputFormat, string> = {
      text: `${partsOf('text').join('\n')}\n${summary}\n`,
      json: `[\n${partsOf('json').join(',\n')}\n]\n`,
      github: `${partsOf('github').join('\n')}\n`,
      sarif: render('sarif', many, options),
    };
    for (const format of OUTPUT_FORMATS) {
      const chunks = renderChunks(format, many, options);
      assert.equal(chunks.join(''), expected[format], format);
      assert.equal(render(format, many, options), expected[format], format);
      if (format !== 'sarif') {
        assert.ok(chunks.length > 1, `${format}: ${chunks.length} piece(s)`);
        assert.ok(chunks.every((c) => c.length < 300 * 1024), `${format}: pieces of about 256 KB`);
      }
    }
  });
});

// The lint threads render each file's part of the output as they go (cli/reporters.ts renderFilePart)
// and a worker sends the main thread that text instead of every finding. The whole output, put
// together from the parts, must be what rendering all reports at the end gives, for every format that
// is rendered per file, with findings, rule failures, files without either, and none at all.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { OUTPUT_FORMATS, render, renderChunks, renderFilePart, rendersPerFile, severitiesOf, StreamedOutput, withRenderedPart, type OutputFormat } from '../../server/src/cli/reporters';
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

describe('output written while the lint runs (StreamedOutput)', () => {
  /** Many reports, so that the output passes the size at which pieces are written while linting. */
  const many: FileReport[] = Array.from({ length: 1200 }, (_, i) => {
    const r = REPORTS[i % REPORTS.length];
    return { ...r, file: `/p/db/migrations/${String(i).padStart(4, '0')}_${path.basename(r.file)}` };
  });

  for (const format of FORMATS) {
    it(`${format}: offered in any order, with files left out, the writes are the output rendered at the end`, () => {
      const options = { cwd: '/p', color: false, fileCount: many.length, version: 'test' };
      for (const seed of [1, 2, 3]) {
        let state = seed;
        const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        // Every third file is not linted (ignored by its config); the main thread offers a prefix of the files, shuffled a little.
        const linted = many.map((r, i) => (i % 3 === 2 ? undefined : withRenderedPart(r, { format: format as 'text', cwd: '/p', color: false })));
        const reports = linted.filter((r): r is FileReport => r !== undefined);
        const offered = Math.floor(many.length * (0.5 + 0.4 * random()));
        const order = Array.from({ length: offered }, (_, i) => i);
        for (let i = order.length - 1; i > 0; i--) {
          const j = Math.max(0, i - Math.floor(random() * 4));
          [order[i], order[j]] = [order[j], order[i]];
        }
        const writes: string[] = [];
        const stream = new StreamedOutput(format as 'text', { cwd: '/p', color: false }, { write: (s) => writes.push(s), pending: () => 0 });
        for (const i of order) stream.offer(i, linted[i]);
        const beforeFinish = writes.join('');
        assert.ok(beforeFinish.length > 0, 'part of the output is written before the lint ends');
        stream.finish(reports, options);
        const whole = renderChunks(format, reports, options).join('');
        assert.equal(writes.join(''), whole);
        assert.ok(whole.startsWith(beforeFinish));
      }
    });
  }

  it('holds the output back while the stream has not passed on what it was given, and writes nothing twice', () => {
    let pending = 1;
    const writes: string[] = [];
    const stream = new StreamedOutput('text', { cwd: '/p', color: false }, { write: (s) => writes.push(s), pending: () => pending });
    const parted = many.map((r) => withRenderedPart(r, { format: 'text', cwd: '/p', color: false }));
    for (let i = 0; i < 800; i++) stream.offer(i, parted[i]);
    assert.deepEqual(writes, [], 'nothing written while the pipe is full');
    pending = 0;
    stream.offer(800, parted[800]);
    assert.equal(writes.length, 1, 'what was held back goes out in one piece once the pipe has room');
    const options = { cwd: '/p', color: false, fileCount: parted.length, version: 'test' };
    stream.finish(parted, options);
    assert.equal(writes.join(''), render('text', parted, options));
  });

  it('empty outputs: JSON is [] and github writes nothing', () => {
    const options = { cwd: '/p', color: false, fileCount: 2, version: 'test' };
    for (const [format, expected] of [['json', '[]\n'], ['github', ''], ['text', 'No findings (2 files linted).\n']] as const) {
      const writes: string[] = [];
      const stream = new StreamedOutput(format, { cwd: '/p', color: false }, { write: (s) => writes.push(s) });
      const clean = REPORTS.slice(1, 2).map((r) => withRenderedPart(r, { format, cwd: '/p', color: false }));
      stream.offer(0, clean[0]);
      stream.offer(1, undefined);
      stream.finish(clean, options);
      assert.equal(writes.join(''), expected);
    }
  });
});

#!/usr/bin/env node
// Tests for the TextMate grammars in syntaxes/ (injections into VS Code's SQL grammar, source.sql).
//
// Tokenizes with vscode-textmate + vscode-oniguruma, the same engine VS Code uses, against vendored
// copies of VS Code's SQL grammar (test/grammar/vendor/: the one VS Code 1.100.3 ships, and the
// current one from VS Code's main branch). Runs offline. Checks:
//   grammar-files   every grammar parses, every regex compiles, every #include resolves, and every
//                   scope it assigns ends in ".zdm" or is one of the SQL grammar's own scopes;
//   case:*          test/grammar/cases/*.sql, inline assertions in vscode-tmgrammar-test's format,
//                   against each vendored SQL grammar;
//   snapshot:*      test/grammar/snapshots/*.sql against *.sql.snap (vscode-tmgrammar-snap format),
//                   with the VS Code 1.100.3 grammar;
//   sql-unchanged:* outside marker lines and placeholders, every character gets exactly the scopes
//                   the SQL grammar alone gives it (fixtures and examples/ with each SQL grammar,
//                   ../shared/corpus with the 1.100.3 one when that folder exists);
//   package-json    package.json's contributes.grammars holds test/grammar/contributes.grammars.json.
//
// Usage: node scripts/test-grammar.mjs [--update] [--dump FILE]
//   --update     rewrite the .snap files from the current grammar (review the diff!)
//   --dump FILE  print FILE's tokens in snapshot format and exit
// Ends with the line "N passed, N failed, N skipped"; exits 1 when anything failed.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(repoRoot, 'package.json'));
const [vsctm, oniguruma] = ['vscode-textmate', 'vscode-oniguruma'].map((name) => {
  try {
    return require(name);
  } catch {
    console.error(`test-grammar: cannot load ${name}; it is a devDependency, run "npm install" first`);
    process.exit(1);
  }
});

const grammarTestDir = path.join(repoRoot, 'test', 'grammar');
const hostScope = 'source.sql';
/** VS Code's SQL grammar, in the versions we test against; the first one is used for snapshots and the corpus. */
const hostGrammars = [
  { label: 'vscode-1.100', path: path.join(grammarTestDir, 'vendor', 'sql.tmLanguage.json') },
  { label: 'vscode-main', path: path.join(grammarTestDir, 'vendor', 'sql-main.tmLanguage.json') },
];
const contributions = JSON.parse(fs.readFileSync(path.join(grammarTestDir, 'contributes.grammars.json'), 'utf8'));
const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus');

/** Scopes our grammars may assign that do not end in ".zdm": the SQL grammar's own, so themes treat them alike. */
const borrowedScopes = new Set([
  'comment.line.double-dash.sql',
  'comment.block.sql',
  'punctuation.definition.comment.sql',
  'punctuation.definition.comment.begin.sql',
  'punctuation.definition.comment.end.sql',
  'punctuation.whitespace.comment.leading.sql',
  'string.quoted.single.sql',
  'string.quoted.double.sql',
  'punctuation.definition.string.begin.sql',
  'punctuation.definition.string.end.sql',
  'meta.embedded.line.sql',
  'meta.embedded.block.sql',
]);

/** Scopes that only wrap whole regions and so may cover lines that are otherwise plain SQL. */
const regionScopes = new Set(['meta.changelog.liquibase.zdm']);

// ---------------------------------------------------------------------------------------------
// Tokenizing

async function loadOniguruma() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  return {
    createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
    createOnigString: (text) => new oniguruma.OnigString(text),
  };
}

function createRegistry(onigLib, { hostPath, withInjections }) {
  const byScope = new Map([[hostScope, hostPath]]);
  const injectionsByTarget = new Map();
  if (withInjections) {
    for (const entry of contributions) {
      byScope.set(entry.scopeName, path.join(repoRoot, entry.path));
      for (const target of entry.injectTo ?? []) {
        injectionsByTarget.set(target, [...(injectionsByTarget.get(target) ?? []), entry.scopeName]);
      }
    }
  }
  return new vsctm.Registry({
    onigLib: Promise.resolve(onigLib),
    loadGrammar: async (scopeName) => {
      const file = byScope.get(scopeName);
      return file ? vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file) : null;
    },
    // As VS Code does: injections registered for "source" and "source.sql" both apply to source.sql.
    getInjections: (scopeName) => {
      const parts = scopeName.split('.');
      return parts.flatMap((_, i) => injectionsByTarget.get(parts.slice(0, i + 1).join('.')) ?? []);
    },
  });
}

function tokenizeLines(grammar, lines) {
  let ruleStack = vsctm.INITIAL;
  return lines.map((line) => {
    const result = grammar.tokenizeLine(line, ruleStack);
    ruleStack = result.ruleStack;
    return { src: line, tokens: result.tokens };
  });
}

const splitLines = (text) => text.split(/\r\n|\n/);

// ---------------------------------------------------------------------------------------------
// vscode-tmgrammar-test formats

const headerRegex = /^(\S+)\s+SYNTAX\s+TEST\s+"([^"]+)"(?:\s+"([^"]+)")?\s*$/;
const upArrowRegex = /^\s*((?:\^+\s*)+)((?:\s*\w[-\w.]*)*)(?:\s*-)?((?:\s*\w[-\w.]*)*)\s*$/;
const leftArrowRegex = /^(\s*)<(~*)(-+)((?:\s*\w[-\w.]*)*)(?:\s*-)?((?:\s*\w[-\w.]*)*)\s*$/;

/** Parses a unit-test file: header line, source lines, and assertion lines that refer to the source line above. */
export function parseCaseFile(text) {
  const lines = splitLines(text);
  const header = headerRegex.exec(lines[0] ?? '');
  if (!header) throw new Error('first line must be: -- SYNTAX TEST "source.sql" "description"');
  const [, commentToken, scope, description = ''] = header;
  const source = [];
  const assertions = [];
  lines.slice(1).forEach((line, i) => {
    const fileLine = i + 2;
    const rest = line.slice(commentToken.length);
    const isAssertion = line.startsWith(commentToken) && /^\s*(\^|<~*-+)/.test(rest);
    if (!isAssertion) {
      source.push(line);
      return;
    }
    if (source.length === 0) throw new Error(`line ${fileLine}: assertion before any source line`);
    const up = rest.trim().startsWith('^') ? upArrowRegex.exec(rest) : null;
    const left = up ? null : leftArrowRegex.exec(rest);
    const match = up ?? left;
    if (!match) throw new Error(`line ${fileLine}: cannot parse assertion: ${line}`);
    const required = (up ? match[2] : match[4]).split(/\s+/).filter(Boolean);
    const excluded = (up ? match[3] : match[5]).split(/\s+/).filter(Boolean);
    if (required.length === 0 && excluded.length === 0) throw new Error(`line ${fileLine}: assertion names no scope`);
    const ranges = [];
    if (up) {
      for (const caret of rest.matchAll(/\^+/g)) {
        ranges.push({ from: commentToken.length + caret.index, to: commentToken.length + caret.index + caret[0].length });
      }
    } else {
      ranges.push({ from: match[2].length, to: match[2].length + match[3].length });
    }
    for (const range of ranges) assertions.push({ fileLine, sourceLine: source.length - 1, ...range, required, excluded });
  });
  return { scope, description, source, assertions };
}

/** Required scopes must appear in the token's scope list in the given order (not necessarily adjacent). */
function missingScopes(required, actual) {
  let j = 0;
  for (const scope of actual) if (j < required.length && scope === required[j]) j++;
  return required.slice(j);
}

function checkAssertions(testCase, tokenized) {
  const failures = [];
  for (const a of testCase.assertions) {
    const { src, tokens } = tokenized[a.sourceLine];
    const covered = tokens.filter((t) => a.from < t.endIndex && a.to > t.startIndex);
    const where = `line ${a.fileLine} (columns ${a.from}-${a.to} of ${JSON.stringify(src)})`;
    if (covered.length === 0 && a.required.length > 0) failures.push(`${where}: no token there`);
    for (const t of covered) {
      const missing = missingScopes(a.required, t.scopes);
      const unexpected = a.excluded.filter((s) => t.scopes.includes(s));
      if (missing.length || unexpected.length) {
        failures.push(
          `${where}: token ${JSON.stringify(src.slice(t.startIndex, t.endIndex))} has [${t.scopes.join(' ')}]` +
            (missing.length ? `; missing ${missing.join(' ')}` : '') +
            (unexpected.length ? `; must not have ${unexpected.join(' ')}` : ''),
        );
      }
    }
  }
  return failures;
}

export function renderSnapshot(tokenized) {
  const out = [];
  for (const { src, tokens } of tokenized) {
    out.push('>' + src);
    if (src.trim().length === 0) continue;
    for (const t of tokens) {
      out.push('#' + ' '.repeat(t.startIndex) + '^'.repeat(t.endIndex - t.startIndex) + ' ' + t.scopes.join(' '));
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Checks

function* walkRules(node, where) {
  if (Array.isArray(node)) {
    for (const [i, child] of node.entries()) yield* walkRules(child, `${where}[${i}]`);
  } else if (node && typeof node === 'object') {
    yield { node, where };
    for (const [key, child] of Object.entries(node)) {
      if (child && typeof child === 'object') yield* walkRules(child, `${where}.${key}`);
    }
  }
}

function checkGrammarFile(file) {
  const problems = [];
  let grammar;
  try {
    grammar = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    return [`${file}: ${error.message}`];
  }
  const name = path.relative(repoRoot, file);
  if (!grammar.scopeName) problems.push(`${name}: no scopeName`);
  if (!grammar.injectionSelector) problems.push(`${name}: no injectionSelector`);
  const repository = grammar.repository ?? {};
  for (const { node, where } of walkRules(grammar, name)) {
    for (const key of ['match', 'begin', 'end', 'while']) {
      if (typeof node[key] !== 'string') continue;
      try {
        new oniguruma.OnigScanner([node[key]]).dispose();
      } catch (error) {
        problems.push(`${where}.${key}: regex does not compile: ${error.message}`);
      }
    }
    if (typeof node.include === 'string' && node.include.startsWith('#') && !(node.include.slice(1) in repository)) {
      problems.push(`${where}: include ${node.include} is not in the repository`);
    }
    for (const key of ['name', 'contentName']) {
      if (typeof node[key] !== 'string' || where.endsWith('.repository')) continue;
      // Rule names only: skip the grammar's own display name at the top level.
      if (where === name && key === 'name') continue;
      for (const scope of node[key].split(/\s+/).filter(Boolean)) {
        if (!scope.endsWith('.zdm') && !borrowedScopes.has(scope)) {
          problems.push(`${where}.${key}: scope "${scope}" neither ends in ".zdm" nor is one of the SQL grammar's`);
        }
      }
    }
  }
  return problems;
}

/** Per character, the scopes that the SQL grammar could have assigned (ours removed). */
function charScopes(line, tokens) {
  const result = new Array(line.length);
  for (const t of tokens) {
    const scopes = t.scopes.filter((s) => !s.endsWith('.zdm')).join(' ');
    for (let i = t.startIndex; i < Math.min(t.endIndex, line.length); i++) result[i] = scopes;
  }
  return result;
}

const touchedByUs = (tokens) => tokens.some((t) => t.scopes.some((s) => s.endsWith('.zdm') && !regionScopes.has(s)));

function compareWithPlainSql(lines, plain, injected) {
  const a = tokenizeLines(plain, lines);
  const b = tokenizeLines(injected, lines);
  const differences = [];
  for (let n = 0; n < lines.length && differences.length < 5; n++) {
    if (touchedByUs(b[n].tokens)) continue;
    const expected = charScopes(lines[n], a[n].tokens);
    const actual = charScopes(lines[n], b[n].tokens);
    const column = expected.findIndex((scopes, i) => scopes !== actual[i]);
    if (column !== -1) {
      differences.push(`line ${n + 1} column ${column}: SQL grammar gives [${expected[column]}], with injections [${actual[column]}]: ${JSON.stringify(lines[n])}`);
    }
  }
  return differences;
}

function listSqlFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .sort();
}

// ---------------------------------------------------------------------------------------------
// Runner

async function main(argv) {
  const onigLib = await loadOniguruma();
  const hosts = [];
  for (const host of hostGrammars) {
    hosts.push({
      label: host.label,
      injected: await createRegistry(onigLib, { hostPath: host.path, withInjections: true }).loadGrammar(hostScope),
      plain: await createRegistry(onigLib, { hostPath: host.path, withInjections: false }).loadGrammar(hostScope),
    });
  }
  const { injected, plain } = hosts[0];

  const dumpIndex = argv.indexOf('--dump');
  if (dumpIndex !== -1) {
    const text = fs.readFileSync(argv[dumpIndex + 1], 'utf8');
    process.stdout.write(renderSnapshot(tokenizeLines(injected, splitLines(text))) + '\n');
    return 0;
  }
  const update = argv.includes('--update');

  const results = { passed: 0, failed: 0, skipped: 0 };
  const report = (name, problems, { skip } = {}) => {
    if (skip) {
      results.skipped++;
      console.log(`skip ${name}: ${skip}`);
    } else if (problems.length === 0) {
      results.passed++;
      console.log(`ok   ${name}`);
    } else {
      results.failed++;
      console.log(`FAIL ${name}`);
      for (const p of problems) console.log(`       ${p}`);
    }
  };
  const guard = (name, fn) => {
    try {
      const outcome = fn();
      if (outcome && outcome.skip) report(name, [], outcome);
      else report(name, outcome);
    } catch (error) {
      report(name, [error.stack ?? String(error)]);
    }
  };

  guard('grammar-files', () =>
    contributions.flatMap((entry) => checkGrammarFile(path.join(repoRoot, entry.path))),
  );

  const casesDir = path.join(grammarTestDir, 'cases');
  const caseFiles = listSqlFiles(casesDir);
  if (caseFiles.length === 0) report('cases', ['no test/grammar/cases/*.sql found']);
  for (const file of caseFiles) {
    for (const host of hosts) {
      guard(`case:${path.relative(casesDir, file)} [${host.label}]`, () => {
        const testCase = parseCaseFile(fs.readFileSync(file, 'utf8'));
        if (testCase.scope !== hostScope) return [`header names scope ${testCase.scope}, expected ${hostScope}`];
        if (testCase.assertions.length === 0) return ['no assertions'];
        return checkAssertions(testCase, tokenizeLines(host.injected, testCase.source));
      });
    }
  }

  const snapshotsDir = path.join(grammarTestDir, 'snapshots');
  for (const file of listSqlFiles(snapshotsDir)) {
    guard(`snapshot:${path.relative(snapshotsDir, file)}`, () => {
      const actual = renderSnapshot(tokenizeLines(injected, splitLines(fs.readFileSync(file, 'utf8'))));
      const snapFile = `${file}.snap`;
      if (update) {
        fs.writeFileSync(snapFile, actual);
        return [];
      }
      if (!fs.existsSync(snapFile)) return [`${path.relative(repoRoot, snapFile)} is missing; create it with --update`];
      const expected = fs.readFileSync(snapFile, 'utf8').replace(/\r\n/g, '\n');
      if (expected === actual) return [];
      const e = expected.split('\n');
      const a = actual.split('\n');
      const at = e.findIndex((line, i) => line !== a[i]);
      const first = at === -1 ? Math.min(e.length, a.length) : at;
      return [
        `differs from ${path.relative(repoRoot, snapFile)} at snapshot line ${first + 1}`,
        `expected: ${e[first] ?? '<end>'}`,
        `actual:   ${a[first] ?? '<end>'}`,
        'if the change is intended, rerun with --update and review the diff',
      ];
    });
  }

  const fixtureFiles = [...caseFiles, ...listSqlFiles(snapshotsDir), ...listSqlFiles(path.join(repoRoot, 'examples'))];
  for (const file of fixtureFiles) {
    for (const host of hosts) {
      guard(`sql-unchanged:${path.relative(repoRoot, file)} [${host.label}]`, () =>
        compareWithPlainSql(splitLines(fs.readFileSync(file, 'utf8')), host.plain, host.injected),
      );
    }
  }
  const corpusFiles = listSqlFiles(corpusDir);
  guard(`sql-unchanged:../shared/corpus [${hosts[0].label}]`, () => {
    if (corpusFiles.length === 0) return { skip: `${corpusDir} not present` };
    const problems = [];
    for (const file of corpusFiles) {
      for (const d of compareWithPlainSql(splitLines(fs.readFileSync(file, 'utf8')), plain, injected)) {
        problems.push(`${path.relative(corpusDir, file)}: ${d}`);
      }
    }
    return problems.slice(0, 20);
  });

  guard('package-json', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const declared = pkg.contributes?.grammars;
    if (!declared) return { skip: 'package.json declares no contributes.grammars yet' };
    const canonical = (value) =>
      JSON.stringify(value, (_, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
    return contributions
      .filter((want) => !declared.some((have) => canonical(have) === canonical(want)))
      .map((want) => `contributes.grammars lacks ${JSON.stringify(want)}`);
  });

  console.log(`grammar: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
  return results.failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

// Renders the rule documentation (docs/rules/<id>.md and the index) from the rule declarations, so
// the docs cannot drift from the code: test/rules/docs.test.ts fails when the files are stale.

import { FAMILY_TITLES, type DocExample, type Rule, type RuleFamily } from './types';

export interface RenderedExample {
  example: DocExample;
  /** The rule's findings on it, as `zdm lint` prints them. */
  output: string;
}

export function renderRuleDoc(rule: Rule, invalid: RenderedExample[], valid: RenderedExample[]): string {
  const lines: string[] = [];
  lines.push(`# ${rule.id}`, '');
  lines.push(`${rule.summary}.`, '');
  lines.push(`- Family: ${FAMILY_TITLES[rule.family]}`);
  lines.push(`- Default level: \`${rule.defaultLevel}\``);
  if (rule.fixable) lines.push(`- Has a quick-fix: [what it writes, and whether \`zdm lint --fix\` applies it](../fixes.md#${rule.family === 'locks' ? 'locks-and-rewrites' : rule.family === 'data' ? 'data-changes' : rule.family === 'files' ? 'migration-files' : 'schema-style'})`);
  if (rule.sameAs?.length) lines.push(`- Same check elsewhere: ${rule.sameAs.join('; ')}`);
  lines.push('', '## Why', '', rule.docs.why.trim(), '');
  if (rule.docs.instead) lines.push('## Instead', '', rule.docs.instead.trim(), '');
  lines.push('## Flagged', '');
  for (const { example, output } of invalid) {
    if (example.note) lines.push(example.note, '');
    lines.push(...exampleHeader(example), '```sql', example.sql.trimEnd(), '```', '', '```text', output.trimEnd(), '```', '');
  }
  lines.push('## Not flagged', '');
  for (const { example } of valid) {
    if (example.note) lines.push(example.note, '');
    lines.push(...exampleHeader(example), '```sql', example.sql.trimEnd(), '```', '');
  }
  lines.push('## Configure', '', 'In `.zdm.json`:', '', '```json', JSON.stringify({ rules: { [rule.id]: 'off' } }, null, 2), '```', '');
  if (rule.options) {
    lines.push('Options (`"rules": { "' + rule.id + '": { "level": ..., "options": { ... } } }`):', '');
    for (const [name, what] of Object.entries(rule.options)) lines.push(`- \`${name}\`: ${what}`);
    lines.push('');
  }
  lines.push(`Or silence one statement with \`-- zdm-ignore ${rule.id} -- reason\` on the line above it, or a whole file with \`-- zdm-ignore-file ${rule.id}\`.`, '');
  return lines.join('\n');
}

function exampleHeader(example: DocExample): string[] {
  const parts: string[] = [];
  if (example.path) parts.push(`\`${example.path}\``);
  if (example.format) parts.push(`format ${example.format}`);
  if (example.pgVersion) parts.push(`PostgreSQL ${example.pgVersion}`);
  if (example.files && Object.keys(example.files).length > 0) parts.push(`beside ${Object.keys(example.files).map((f) => `\`${f}\``).join(', ')}`);
  if (example.golangMigrateMultiStatement) parts.push('`"golangMigrate": { "multiStatement": true }` in .zdm.json');
  return parts.length ? [`<sub>${parts.join(' · ')}</sub>`, ''] : [];
}

export function renderRuleIndex(rules: readonly Rule[]): string {
  const lines = ['# Rules', '', 'Every rule zdm runs, by family. Levels are the defaults; change them per rule in `.zdm.json` (`"rules": { "<id>": "off" | "error" | "warning" | "info" | "hint" }`).', ''];
  const families = Object.keys(FAMILY_TITLES) as RuleFamily[];
  for (const family of families) {
    const members = rules.filter((r) => r.family === family);
    if (members.length === 0) continue;
    lines.push(`## ${FAMILY_TITLES[family]}`, '', '| Rule | Default | Fix | What it flags |', '|---|---|---|---|');
    for (const r of members) lines.push(`| [${r.id}](${r.id}.md) | ${r.defaultLevel} | ${r.fixable ? 'yes' : ''} | ${r.summary} |`);
    lines.push('');
  }
  return lines.join('\n');
}

// Renders the rule docs exactly as they are committed (used by scripts/gen-docs.mjs and the staleness test).

import { registry } from '../../server/src/engine/rules/registry';
import { renderRuleDoc, renderRuleIndex } from '../../server/src/engine/rules/render-docs';
import { lintExample, renderFindings } from './lint';

/** file name (relative to docs/rules) -> contents */
export function renderAllRuleDocs(): Map<string, string> {
  const out = new Map<string, string>();
  for (const rule of registry) {
    const invalid = rule.docs.invalid.map((example) => ({ example, output: renderFindings(lintExample(example, rule), rule.id) }));
    const valid = rule.docs.valid.map((example) => ({ example, output: '' }));
    out.set(`${rule.id}.md`, renderRuleDoc(rule, invalid, valid));
  }
  out.set('README.md', renderRuleIndex(registry));
  return out;
}

// Every rule's documentation examples run as tests: each invalid example yields exactly one finding
// of that rule, each valid example none.

import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { registry } from '../../server/src/engine/rules/registry';
import { initParser, lintExample, renderFindings } from '../helpers/lint';

before(() => initParser());

describe('rule documentation examples', () => {
  for (const rule of registry) {
    describe(rule.id, () => {
      it('has at least one invalid and one valid example', () => {
        assert.ok(rule.docs.invalid.length > 0, 'no invalid example');
        assert.ok(rule.docs.valid.length > 0, 'no valid example');
      });
      rule.docs.invalid.forEach((example, i) => {
        it(`invalid example ${i + 1} yields exactly one ${rule.id}`, () => {
          const result = lintExample(example, rule);
          assert.deepEqual(result.ruleFailures, []);
          const own = result.findings.filter((f) => f.rule === rule.id);
          assert.equal(own.length, 1, `expected one ${rule.id}, got:\n${renderFindings(result)}`);
        });
      });
      rule.docs.valid.forEach((example, i) => {
        it(`valid example ${i + 1} yields no ${rule.id}`, () => {
          const result = lintExample(example, rule);
          assert.deepEqual(result.ruleFailures, []);
          const own = result.findings.filter((f) => f.rule === rule.id);
          assert.equal(own.length, 0, `expected no ${rule.id}, got:\n${renderFindings(result, rule.id)}`);
        });
      });
    });
  }
});

// docs/rules/ is generated from the rule declarations; this fails when it is stale.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { renderAllRuleDocs } from '../helpers/docs';
import { initParser } from '../helpers/lint';
import { REPO_ROOT } from '../helpers/paths';

before(() => initParser());

describe('rule docs', () => {
  it('docs/rules matches the rule declarations (npm run docs regenerates it)', () => {
    const dir = path.join(REPO_ROOT, 'docs', 'rules');
    const expected = renderAllRuleDocs();
    const present = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.md')).sort() : [];
    assert.deepEqual(present, [...expected.keys()].sort(), 'docs/rules has missing or extra files: run npm run docs');
    for (const [name, text] of expected) {
      assert.equal(fs.readFileSync(path.join(dir, name), 'utf8'), text, `docs/rules/${name} is stale: run npm run docs`);
    }
  });
});

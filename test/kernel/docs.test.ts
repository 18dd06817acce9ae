import * as assert from 'assert';
import * as fs from 'fs';
import { readmePath, withGeneratedSection } from '../../kernel/gen-docs';
import { listMagics } from '../../src/magics';

describe('kernel/README.md magic reference', () => {
  it('matches the magic declarations (regenerate with node build/kernel/gen-docs.js)', () => {
    const readme = fs.readFileSync(readmePath(), 'utf8');
    assert.strictEqual(readme, withGeneratedSection(readme));
    for (const m of listMagics()) assert.ok(readme.includes(m.examples[0]), `no example of %${m.name}`);
  });
});

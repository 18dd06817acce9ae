/**
 * Regenerates the magics section of kernel/README.md from the magic declarations:
 * `node build/kernel/gen-docs.js` (test/kernel/docs.test.ts fails when it is out of date).
 */
import * as fs from 'fs';
import * as path from 'path';
import { magicsMarkdown } from '../src/magics';

/** Start and end markers of the generated section. */
export const BEGIN = /<!-- magics:begin[^>]*-->\n/;
export const END = '\n<!-- magics:end -->';

/** Path of the kernel README (in the source tree). */
export function readmePath(): string {
  return path.resolve(__dirname, '..', '..', 'kernel', 'README.md');
}

/** The README text with the generated section replaced. */
export function withGeneratedSection(readme: string): string {
  const m = BEGIN.exec(readme);
  const end = readme.indexOf(END);
  if (!m || end < 0) throw new Error('kernel/README.md lacks the <!-- magics:begin --> / <!-- magics:end --> markers.');
  return readme.slice(0, m.index + m[0].length) + magicsMarkdown() + readme.slice(end);
}

if (require.main === module) {
  const file = readmePath();
  fs.writeFileSync(file, withGeneratedSection(fs.readFileSync(file, 'utf8')));
  console.log(`updated ${file}`);
}

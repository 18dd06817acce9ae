/** Markdown reference of the magics, generated from their declarations (kept in kernel/README.md). */
import { argumentHelp } from './args';
import { listMagics, magicUsage, supportsForm } from './registry';

/**
 * One section per magic: summary, usage, arguments, an example and the same thing in TypeScript.
 * @param level heading level of each magic's section (default 3).
 */
export function magicsMarkdown(level = 3): string {
  const h = '#'.repeat(level);
  return listMagics()
    .map((m) => {
      const forms = [supportsForm(m, 'line') ? `%${m.name}` : '', supportsForm(m, 'cell') ? `%%${m.name}` : ''].filter(Boolean).join(' / ');
      const usage = [supportsForm(m, 'line') ? magicUsage(m, 'line') : '', supportsForm(m, 'cell') ? magicUsage(m, 'cell') : ''].filter(Boolean).join('\n');
      return [
        `${h} \`${forms}\``,
        '',
        m.summary + (m.description ? ` ${m.description.includes('\n') ? '' : m.description}` : ''),
        '',
        '```',
        usage,
        ...(m.args.length ? ['', argumentHelp(m.args, { dynamicChoices: false })] : []),
        ...(m.extraArgs && m.extraArgs.specs().length ? ['', `${m.extraArgs.heading}, built-in methods:`, argumentHelp(m.extraArgs.specs(), { dynamicChoices: false })] : []),
        ...(m.description?.includes('\n') ? ['', m.description] : []),
        '```',
        '',
        'Example:',
        '',
        '```typescript',
        m.examples[0],
        '```',
        ...(m.api ? ['', 'In TypeScript:', '', '```typescript', m.api, '```'] : []),
      ].join('\n');
    })
    .join('\n\n');
}

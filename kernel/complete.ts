/** Completion and inspection on magic lines: magic names, options, choices and variables. */
import type { CompletionInfo } from 'tslab/dist/converter';
import { tokenize, type ArgSpec } from '../src/magics/args';
import { allArgs, getMagic, listMagics, magicHelp, supportsForm } from '../src/magics/registry';
import type { MagicLine } from './transform';

function rank(prefix: string, names: string[]): string[] {
  const starts = names.filter((n) => n.startsWith(prefix));
  const lower = prefix.toLowerCase();
  const contains = names.filter((n) => !n.startsWith(prefix) && n.toLowerCase().includes(lower));
  return [...starts.sort(), ...contains.sort()];
}

function choices(spec: ArgSpec | undefined, variables: string[]): string[] {
  if (!spec) return [];
  if (spec.type === 'variable') return variables;
  if (spec.type === 'boolean') return ['true', 'false'];
  const c = typeof spec.choices === 'function' ? spec.choices() : spec.choices;
  return c ? [...c] : [];
}

/**
 * Completions for a cursor on a magic line.
 *
 * @param src the cell; `m` the magic line holding `position`.
 * @param variables the notebook's variable names.
 */
export function completeMagicLine(src: string, m: MagicLine, position: number, variables: string[]): CompletionInfo {
  const nameStart = m.percent + (m.form === 'cell' ? 2 : 1);
  const nameEnd = nameStart + m.name.length;
  if (position <= nameEnd) {
    const prefix = src.slice(nameStart, position);
    const names = listMagics()
      .filter((s) => supportsForm(s, m.form))
      .map((s) => s.name);
    return { start: nameStart, end: nameEnd, candidates: rank(prefix, names) };
  }
  let spec;
  try {
    spec = getMagic(m.name, m.form);
  } catch {
    return { start: position, end: position, candidates: [] };
  }
  let tokStart = position;
  while (tokStart > m.argStart && !/\s/.test(src[tokStart - 1])) tokStart--;
  let tokEnd = position;
  while (tokEnd < m.end && !/\s/.test(src[tokEnd])) tokEnd++;
  const word = src.slice(tokStart, position);
  const options = allArgs(spec).filter((a) => a.kind !== 'positional');
  if (word.startsWith('-')) {
    const flags = options.map((o) => `--${o.name}`);
    return { start: tokStart, end: tokEnd, candidates: rank(word, flags) };
  }
  // Which argument does this word fill? Walk the tokens before it.
  let before: ReturnType<typeof tokenize> = [];
  try {
    before = tokenize(src.slice(m.argStart, tokStart));
  } catch {
    return { start: position, end: position, candidates: [] };
  }
  const prev = before[before.length - 1];
  const prevOption = prev && prev.value.startsWith('--') && !prev.value.includes('=') ? options.find((o) => `--${o.name}` === prev.value) : undefined;
  let target: ArgSpec | undefined;
  if (prevOption && prevOption.type !== 'boolean') {
    target = prevOption;
  } else {
    let positional = 0;
    for (let i = 0; i < before.length; i++) {
      const t = before[i].value;
      if (t.startsWith('-') && !/^-\.?\d/.test(t)) {
        const o = options.find((x) => `--${x.name}` === t || `-${x.short}` === t);
        if (o && o.type !== 'boolean' && !t.includes('=')) i++;
        continue;
      }
      positional++;
    }
    target = spec.args.filter((a) => a.kind === 'positional')[positional];
  }
  const all = choices(target, variables);
  if (!all.length && !word) {
    // Nothing to fill here: offer the options not given yet.
    const given = new Set(before.map((t) => t.value));
    return { start: tokStart, end: tokEnd, candidates: options.map((o) => `--${o.name}`).filter((f) => !given.has(f)) };
  }
  return { start: tokStart, end: tokEnd, candidates: rank(word, all) };
}

/** The help text for inspecting a magic line (the magic's `%name?` help), or a hint. */
export function magicInspect(m: MagicLine): string {
  if (!m.name) return 'Magic lines start with %name (line magics) or %%name (cell magics). Run %lsmagic to list them.';
  try {
    return magicHelp(getMagic(m.name, m.form));
  } catch (e) {
    return (e as Error).message;
  }
}

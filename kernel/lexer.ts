/**
 * Finds which lines of a cell start outside any string, template literal or comment, so that a
 * `%` at the start of a line inside a multi-line template string is not taken for a magic.
 * A small hand-written lexer: strings, template literals with `${}` nesting, comments and regex
 * literals (told apart from division by the previous significant character).
 */

/** For each line of `src`: true when the line begins in code (not inside a literal or comment). */
export function codeLineStarts(src: string): boolean[] {
  const out: boolean[] = [true];
  type Mode = 'code' | 'block' | 'template';
  // Stack of modes; `code` entries pushed by `${` remember brace depth to find their `}`.
  const stack: { mode: Mode; depth: number }[] = [{ mode: 'code', depth: 0 }];
  let prevSignificant = '';
  let i = 0;
  const n = src.length;
  const top = () => stack[stack.length - 1];
  // Magic lines are not TypeScript: skip them whole (a quote in `--title "it's"` must not open a string).
  const skipMagicLine = () => {
    if (top().mode !== 'code') return;
    let j = i;
    while (j < n && (src[j] === ' ' || src[j] === '\t')) j++;
    if (src[j] === '%') while (i < n && src[i] !== '\n') i++;
  };
  skipMagicLine();
  while (i < n) {
    const ch = src[i];
    if (ch === '\n') {
      out.push(top().mode === 'code');
      i++;
      skipMagicLine();
      continue;
    }
    const mode = top().mode;
    if (mode === 'block') {
      if (ch === '*' && src[i + 1] === '/') {
        stack.pop();
        i += 2;
      } else i++;
      continue;
    }
    if (mode === 'template') {
      if (ch === '\\') {
        if (src[i + 1] === '\n') out.push(false);
        i += 2;
      } else if (ch === '`') {
        stack.pop();
        prevSignificant = '`';
        i++;
      } else if (ch === '$' && src[i + 1] === '{') {
        stack.push({ mode: 'code', depth: 0 });
        prevSignificant = '{';
        i += 2;
      } else i++;
      continue;
    }
    // code
    if (ch === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (ch === '/' && src[i + 1] === '*') {
      stack.push({ mode: 'block', depth: 0 });
      i += 2;
      continue;
    }
    if (ch === '"' || ch === "'") {
      i++;
      while (i < n && src[i] !== ch && src[i] !== '\n') {
        if (src[i] === '\\') {
          if (src[i + 1] === '\n') out.push(false);
          i++;
        }
        i++;
      }
      i++;
      prevSignificant = ch;
      continue;
    }
    if (ch === '`') {
      stack.push({ mode: 'template', depth: 0 });
      i++;
      continue;
    }
    if (ch === '/') {
      // A regex literal can only start where an operand is expected.
      const regexStart = prevSignificant === '' || /[(,=:[!&|?{};+\-*%<>~^]/.test(prevSignificant);
      if (regexStart) {
        i++;
        let inClass = false;
        while (i < n && src[i] !== '\n') {
          if (src[i] === '\\') i += 2;
          else if (src[i] === '[') (inClass = true), i++;
          else if (src[i] === ']') (inClass = false), i++;
          else if (src[i] === '/' && !inClass) break;
          else i++;
        }
        i++;
        while (i < n && /[a-z]/i.test(src[i])) i++;
        prevSignificant = '/';
        continue;
      }
    }
    if (ch === '{') top().depth++;
    if (ch === '}') {
      if (stack.length > 1 && top().depth === 0) {
        stack.pop(); // end of `${ ... }` inside a template
        prevSignificant = '}';
        i++;
        continue;
      }
      top().depth--;
    }
    if (!/\s/.test(ch)) {
      // Identifiers and numbers end an operand; keywords like `return` are rare before a regex.
      prevSignificant = /[A-Za-z0-9_$)\]]/.test(ch) ? 'a' : ch;
    }
    i++;
  }
  return out;
}

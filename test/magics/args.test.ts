import * as assert from 'assert';
import { argumentHelp, MagicArgumentError, parseArgs, tokenize, usageLine, type ArgSpec } from '../../src/magics/args';
import { closeMatches, editDistance } from '../../src/magics/close-matches';

const specs: ArgSpec[] = [
  { name: 'model', kind: 'positional', type: 'variable', help: 'The model.' },
  { name: 'criterion', kind: 'positional', choices: ['magnitude', 'random', 'snip'], help: 'Criterion.' },
  { name: 'sparsity', type: 'number', default: 0.9, min: 0, max: 1, exclusiveMax: true, help: 'Fraction pruned.' },
  { name: 'epochs', short: 'e', type: 'int', default: 1, min: 1, help: 'Epochs.' },
  { name: 'exclude', type: 'list', default: [], help: 'Layers to skip.' },
  { name: 'verbose', type: 'boolean', help: 'Talk.' },
  { name: 'as', type: 'identifier', default: 'net', help: 'Variable.' },
];

describe('magic arguments', () => {
  it('tokenizes like a shell: quotes, escapes, positions', () => {
    const t = tokenize(`a "b c" 'd e' "x\\"y" f=g`);
    assert.deepStrictEqual(t.map((x) => x.value), ['a', 'b c', 'd e', 'x"y', 'f=g']);
    assert.deepStrictEqual(t.map((x) => x.start), [0, 2, 8, 14, 21]);
    assert.throws(() => tokenize('a "open'), /unterminated/);
  });

  it('parses positionals, options in all spellings, defaults and types', () => {
    const a = parseArgs('prune', specs, 'net magnitude --sparsity=0.5 -e 3 --exclude fc1,fc3 --exclude out --verbose');
    assert.deepStrictEqual(a, { model: 'net', criterion: 'magnitude', sparsity: 0.5, epochs: 3, exclude: ['fc1', 'fc3', 'out'], verbose: true, as: 'net' });
    const b = parseArgs('prune', specs, '--no-verbose net random');
    assert.strictEqual(b.verbose, false);
    assert.strictEqual(b.sparsity, 0.9);
    assert.deepStrictEqual(b.exclude, []);
    // A negative number is a value, not an option.
    const c = parseArgs('x', [{ name: 'v', kind: 'positional', type: 'number', help: 'v' }], '-0.5');
    assert.strictEqual(c.v, -0.5);
  });

  it('names the problem, suggests close matches and ends with the usage line', () => {
    const bad = (text: string, re: RegExp) =>
      assert.throws(
        () => parseArgs('prune', specs, text),
        (e: unknown) => e instanceof MagicArgumentError && re.test(e.message) && e.message.includes('Usage: %prune <model> <criterion>'),
      );
    bad('net magnitude --sparsty 0.5', /unknown option --sparsty\. Did you mean: --sparsity\?/);
    bad('net magnitud', /<criterion> must be one of: magnitude, random, snip; got 'magnitud'\. Did you mean: magnitude\?/);
    bad('net magnitude --sparsity 1', /--sparsity must be < 1, got 1/);
    bad('net magnitude --sparsity lots', /--sparsity expects a number, got 'lots'/);
    bad('net magnitude -e 1.5', /--epochs expects a whole number/);
    bad('net', /missing <criterion> \(Criterion\)/);
    bad('net magnitude extra', /unexpected argument 'extra'/);
    bad('net magnitude --sparsity', /--sparsity needs a value/);
    bad('1net magnitude', /<model> expects a variable name \(.*\), got '1net'/);
    bad('net magnitude --as 2x', /--as expects a variable name/);
  });

  it('a reserved word or an invalid name as a variable is an error naming the word and suggesting a valid name', () => {
    const bad = (text: string, re: RegExp) =>
      assert.throws(() => parseArgs('model', specs, text), (e: unknown) => e instanceof MagicArgumentError && re.test(e.message), text);
    bad('net magnitude --as class', /%model: --as 'class' is a reserved word in TypeScript and cannot name a variable\. Use another name, e\.g\. --as class_\./);
    for (const word of ['let', 'await', 'enum', 'interface', 'yield', 'null', 'undefined', 'arguments']) {
      bad(`net magnitude --as ${word}`, new RegExp(`--as '${word}' is a reserved word.*--as ${word}_\\.`));
    }
    bad('net magnitude --as my-net', /--as expects a variable name \(letters, digits, _ and \$, not starting with a digit\), got 'my-net'\. Use another name, e\.g\. --as my_net\./);
    bad('net magnitude --as 2x', /e\.g\. --as _2x\./);
    bad('net magnitude --as tf', /--as 'tf' is a name every notebook relies on \(pl, tf, dfd\).*e\.g\. --as tf_\./);
    bad('class magnitude', /<model> 'class' is a reserved word in TypeScript and cannot name a variable\. Use another name, e\.g\. class_\./);
    // reading tf or pl is fine (only storing into them is refused); names that merely contain a reserved word are fine
    assert.strictEqual(parseArgs('model', specs, 'tf magnitude --as classes').as, 'classes');
    assert.strictEqual(parseArgs('model', specs, 'net magnitude --as $_x9').as, '$_x9');
  });

  it('takes the rest of the line raw for a code positional', () => {
    const s: ArgSpec[] = [
      { name: 'loops', short: 'n', type: 'int', help: 'n' },
      { name: 'code', kind: 'positional', type: 'code', help: 'code' },
    ];
    assert.deepStrictEqual(parseArgs('timeit', s, '-n 10 f(a, "b c")  '), { loops: 10, code: 'f(a, "b c")' });
    assert.deepStrictEqual(parseArgs('timeit', s, ''), { code: '' });
  });

  it('generates usage and help from the declaration', () => {
    assert.strictEqual(
      usageLine('prune', specs),
      '%prune <model> <criterion> [--sparsity NUMBER] [--epochs N] [--exclude A,B,...] [--verbose] [--as VAR]',
    );
    const help = argumentHelp(specs);
    assert.match(help, /--sparsity NUMBER\s+Fraction pruned\. \(default: 0\.9\)/);
    assert.match(help, /-e, --epochs N\s+Epochs\./);
    assert.match(help, /<criterion>\s+Criterion\./);
  });

  it('uses dynamic choices (registries that grow at runtime)', () => {
    const names = ['a'];
    const s: ArgSpec[] = [{ name: 'x', kind: 'positional', choices: () => names, help: 'x' }];
    assert.throws(() => parseArgs('m', s, 'b'), /must be one of: a/);
    names.push('b');
    assert.strictEqual(parseArgs('m', s, 'b').x, 'b');
  });
});

describe('close matches', () => {
  it('computes edit distances', () => {
    assert.strictEqual(editDistance('kitten', 'sitting'), 3);
    assert.strictEqual(editDistance('', 'abc'), 3);
    assert.strictEqual(editDistance('same', 'same'), 0);
  });
  it('ranks similar names and prefixes, and drops unrelated ones', () => {
    assert.deepStrictEqual(closeMatches('prun', ['prune', 'plot', 'seed']), ['prune']);
    assert.deepStrictEqual(closeMatches('spars', ['sparsity', 'seed']), ['sparsity']);
    assert.deepStrictEqual(closeMatches('zzz', ['prune', 'plot']), []);
    assert.deepStrictEqual(closeMatches('Net', ['net', 'nets']), ['net', 'nets']);
  });
});

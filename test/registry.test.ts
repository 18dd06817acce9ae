/**
 * The generic Registry and every registry built on it: validation on register, refusal of a
 * taken name unless `{ replace: true }`, unregister, sorted listings with one-line descriptions,
 * and an unknown name answered with the known ones and close matches.
 */
import * as assert from 'assert';
import * as pl from '../src';
import { OptionError, UnknownNameError, UserError } from '../src/errors';
import { defineMagic, getMagic, listMagics, removeMagic, type MagicSpec } from '../src/magics/registry';
import '../src/magics/builtins';
import { Registry } from '../src/registry';
import { registryChanges, registrySnapshot } from './registry-leaks';

/** A thing with a description, as registered items often are. */
interface Tool {
  description?: string;
  run(): number;
}

function tools(): Registry<Tool> {
  return new Registry<Tool>({
    kind: 'tool',
    validate: (t) => (typeof t?.run === 'function' ? undefined : 'a tool needs a run() function'),
    hint: 'Register one with registerTool(name, tool).',
  });
}

const hammer: Tool = { description: 'hits things', run: () => 1 };
const saw: Tool = { description: 'cuts things', run: () => 2 };

describe('Registry', () => {
  it('registers, finds, lists sorted with descriptions (own or given), and unregisters', () => {
    const r = tools();
    assert.strictEqual(r.kind, 'tool');
    assert.strictEqual(r.plural, 'tools');
    assert.strictEqual(r.register('saw', saw), saw);
    r.register('hammer', hammer);
    r.register('mallet', { run: () => 3 }, { description: 'a soft hammer' });
    assert.deepStrictEqual(r.names(), ['hammer', 'mallet', 'saw']);
    assert.strictEqual(r.get('hammer'), hammer);
    assert.strictEqual(r.find('drill'), undefined);
    assert.ok(r.has('saw') && !r.has('drill'));
    assert.deepStrictEqual(r.list().map((e) => [e.name, e.description]), [['hammer', 'hits things'], ['mallet', 'a soft hammer'], ['saw', 'cuts things']]);
    assert.strictEqual(r.describe(), 'hammer  hits things\nmallet  a soft hammer\nsaw     cuts things');
    assert.strictEqual(r.unregister('mallet'), true);
    assert.strictEqual(r.unregister('mallet'), false);
    assert.deepStrictEqual(r.names(), ['hammer', 'saw']);
  });

  it('refuses a taken name unless { replace: true }, with a UserError saying how', () => {
    const r = tools();
    r.register('saw', saw);
    assert.throws(
      () => r.register('saw', hammer),
      (e: Error) => e instanceof UserError && !(e instanceof OptionError) &&
        e.message === "A tool named 'saw' is already registered; pass { replace: true } to overwrite it, or unregister it first.",
    );
    assert.strictEqual(r.get('saw'), saw, 'the refused registration changed nothing');
    r.register('saw', hammer, { replace: true });
    assert.strictEqual(r.get('saw'), hammer);
  });

  it('validates names and items on register (OptionError), leaving the registry as it was', () => {
    const r = tools();
    for (const bad of ['', '2:4', 'has space', '-x', undefined as unknown as string]) {
      assert.throws(() => r.register(bad, saw), (e: Error) => e instanceof OptionError && /^Invalid tool name .*: a tool name must start with a letter/.test(e.message), String(bad));
    }
    assert.throws(() => r.register('broken', {} as Tool), (e: Error) => e instanceof OptionError && e.message === "Cannot register tool 'broken': a tool needs a run() function.");
    assert.throws(() => r.register('multi', saw, { description: 'two\nlines' }), /the description must be one line/);
    assert.throws(() => r.register('nothing', undefined as unknown as Tool), /nothing was given to register/);
    const strict = new Registry<Tool>({ kind: 'tool', namePattern: /^[a-z]+$/, nameRule: 'use lower-case letters only' });
    assert.throws(() => strict.register('Saw', saw), /a tool name must use lower-case letters only/);
    assert.deepStrictEqual(r.names(), []);
    // names like `nm:2:4`, `v1.2` and `a_b-c` are allowed by default
    for (const ok of ['nm:2:4', 'v1.2', 'a_b-c']) r.register(ok, saw);
    assert.deepStrictEqual(r.names(), ['a_b-c', 'nm:2:4', 'v1.2']);
  });

  it('answers an unknown name with UnknownNameError: known names (aliases grouped), other forms, close matches, the hint', () => {
    const r = new Registry<Tool>({ kind: 'granule', alsoKnown: "N:M (e.g. '2:4')", hint: 'Register one with registerGranule().' });
    r.register('neuron', hammer);
    r.register('element', saw);
    r.register('filter', hammer); // another name of the same item
    const e = (() => {
      try {
        r.get('nueron');
      } catch (err) {
        return err as UnknownNameError;
      }
      return assert.fail('get of an unknown name throws');
    })();
    assert.ok(e instanceof UnknownNameError);
    assert.deepStrictEqual([e.kind, e.unknown, e.known], ['granule', 'nueron', ['element', 'filter', 'neuron']]);
    assert.strictEqual(
      e.message,
      "Unknown granule 'nueron'. Known granules: element, neuron (= filter), N:M (e.g. '2:4'). Did you mean: neuron? Register one with registerGranule().",
    );
    assert.match(tools().unknownNameError('x').message, /^Unknown tool 'x'\. Known tools: none\./);
  });

  it('scoped(): temporary registrations, replaced entries restored, also when the function throws or rejects', async () => {
    const r = tools();
    r.register('saw', saw);
    const inside = r.scoped({ saw: hammer, drill: { run: () => 4 } }, () => [r.get('saw').run(), r.get('drill').run()]);
    assert.deepStrictEqual(inside, [1, 4]);
    assert.deepStrictEqual(r.names(), ['saw']);
    assert.strictEqual(r.get('saw'), saw);
    assert.throws(() => r.scoped([['drill', hammer]], () => { throw new Error('boom'); }), /boom/);
    assert.deepStrictEqual(r.names(), ['saw']);
    await assert.rejects(r.scoped(new Map([['drill', hammer]]), async () => {
      assert.ok(r.has('drill'), 'registered while the promise runs');
      throw new Error('later');
    }), /later/);
    assert.deepStrictEqual(r.names(), ['saw']);
    assert.throws(() => r.scoped({ good: hammer, bad: {} as Tool }, () => 0), OptionError);
    assert.deepStrictEqual(r.names(), ['saw'], 'a failing registration undoes the ones before it');
  });

  it('the test run\'s leak check sees a registration left behind (test/setup.ts fails the run on it)', () => {
    const before = registrySnapshot();
    pl.registerCriterion('test-left-behind', { scores: () => new Map() });
    try {
      assert.deepStrictEqual(registryChanges(before), ["criterion 'test-left-behind' was added"]);
    } finally {
      pl.unregisterCriterion('test-left-behind');
    }
    const magnitude = pl.getCriterion('magnitude');
    pl.registerCriterion('magnitude', { description: 'test', scores: () => new Map() }, { replace: true });
    const replaced = registryChanges(before);
    pl.registerCriterion('magnitude', magnitude, { replace: true });
    assert.deepStrictEqual(replaced, ["criterion 'magnitude' was replaced"]);
    assert.deepStrictEqual(registryChanges(before), []);
  });
});

/** How a test reaches one of prunelab's registries through its public functions. */
interface RegistryUnderTest {
  /** Registry kind as its messages name it. */
  kind: string;
  /** Registers `item` (a fresh valid one) under `name`. */
  register(name: string, replace?: boolean): void;
  /** Registers something malformed under `name`. */
  registerMalformed(name: string): void;
  unregister(name: string): boolean;
  names(): string[];
  /** The listing with descriptions. */
  described(): { name: string; description: string }[];
  /** Looks a name up, throwing for unknown ones. */
  lookup(name: string): unknown;
  /** A builtin entry whose name the unknown-name error must list. */
  builtin: string;
}

const magicSpec = (name: string): MagicSpec => ({ name, summary: 'A test magic.', args: [], examples: [`%${name}`], run: () => undefined });

const registries: RegistryUnderTest[] = [
  {
    kind: 'criterion', builtin: 'magnitude',
    register: (n, replace) => pl.registerCriterion(n, { description: 'test', scores: () => new Map() }, { replace }),
    registerMalformed: (n) => pl.registerCriterion(n, {} as pl.Criterion),
    unregister: pl.unregisterCriterion, names: pl.criterionNames, described: pl.listCriteria, lookup: pl.getCriterion,
  },
  {
    kind: 'granularity', builtin: 'neuron',
    register: (n, replace) => pl.registerGranularity(n, { name: n, description: 'test', partition: (w) => ({ numGroups: 1, groupOf: new Int32Array(w.shape.reduce((a, b) => a * b, 1)) }) }, { replace }),
    registerMalformed: (n) => pl.registerGranularity(n, { name: n } as pl.Granularity),
    unregister: pl.unregisterGranularity, names: pl.granularityNames, described: pl.listGranularities, lookup: pl.resolveGranularity,
  },
  {
    kind: 'scope', builtin: 'layerwise',
    register: (n, replace) => pl.registerAllocation(n, { name: n, description: 'test', allocate: (items) => items.map((it) => new Uint8Array(it.groups.scores.length).fill(1)) }, { replace }),
    registerMalformed: (n) => pl.registerAllocation(n, { name: n } as pl.Allocation),
    unregister: pl.unregisterAllocation, names: pl.allocationNames, described: pl.listAllocations, lookup: pl.resolveAllocation,
  },
  {
    kind: 'update', builtin: 'reconstruct',
    register: (n, replace) => pl.registerUpdate({ name: n, description: 'test', apply: () => undefined }, { replace }),
    registerMalformed: (n) => pl.registerUpdate({ name: n } as pl.PruneUpdate),
    unregister: pl.unregisterUpdate, names: pl.updateNames, described: pl.listUpdates, lookup: pl.getUpdate,
  },
  {
    kind: 'magic', builtin: 'prune',
    register: (n, replace) => defineMagic(magicSpec(n), { replace }),
    registerMalformed: (n) => defineMagic({ ...magicSpec(n), run: undefined }),
    unregister: removeMagic, names: () => listMagics().map((m) => m.name),
    described: () => listMagics().map((m) => ({ name: m.name, description: m.summary })), lookup: (n) => getMagic(n),
  },
  {
    kind: 'dataset', builtin: 'mnist',
    register: (n, replace) => pl.registerDataset(n, () => { throw new Error('not loaded in this test'); }, { description: 'test' }, { replace }),
    registerMalformed: (n) => pl.registerDataset(n, 'not a function' as never),
    unregister: pl.unregisterDataset, names: pl.listDatasets, described: pl.listDatasetEntries, lookup: pl.datasetInfo,
  },
  {
    kind: 'model', builtin: 'mlp',
    register: (n, replace) => pl.registerModel(n, () => { throw new Error('not built in this test'); }, { description: 'test', defaultInputShape: [2], replace }),
    registerMalformed: (n) => pl.registerModel(n, () => { throw new Error('unused'); }, { description: 'test', defaultInputShape: [0] }),
    unregister: pl.unregisterModel, names: () => pl.listModels().map((m) => m.name), described: pl.listModels,
    lookup: (n) => pl.createModel(n),
  },
  {
    kind: 'optimizer', builtin: 'adam',
    register: (n, replace) => pl.registerOptimizer(n, () => pl.createOptimizer('sgd'), { description: 'test', replace }),
    registerMalformed: (n) => pl.registerOptimizer(n, 'sgd' as never),
    unregister: pl.unregisterOptimizer, names: pl.listOptimizers, described: pl.listOptimizerEntries, lookup: (n) => pl.createOptimizer(n),
  },
];

describe('every registry: validation, duplicates, replace, unregister, listings, unknown names', () => {
  for (const r of registries) {
    it(r.kind, async () => {
      const name = 'test-entry';
      const before = r.names();
      assert.deepStrictEqual(before, [...before].sort(), 'names are sorted');
      for (const e of r.described().filter((d) => before.includes(d.name))) {
        assert.ok(e.description && !e.description.includes('\n'), `builtin ${r.kind} '${e.name}' has a one-line description`);
      }
      assert.throws(() => r.registerMalformed(name), OptionError, 'a malformed item is refused');
      r.register(name);
      try {
        assert.ok(r.names().includes(name));
        assert.strictEqual(r.described().find((d) => d.name === name)?.description, r.kind === 'magic' ? 'A test magic.' : 'test');
        assert.throws(() => r.register(name), (e: Error) => e instanceof UserError && /already registered; pass \{ replace: true \}/.test(e.message));
        r.register(name, true);
      } finally {
        assert.strictEqual(r.unregister(name), true);
      }
      assert.strictEqual(r.unregister(name), false);
      assert.deepStrictEqual(r.names(), before, 'back to the builtin entries');
      const unknown = await Promise.resolve().then(() => r.lookup(`${r.builtin}x`)).then(
        () => assert.fail(`looking up '${r.builtin}x' should fail`),
        (e: Error) => e,
      );
      assert.ok(unknown instanceof UnknownNameError, `${unknown.name}: ${unknown.message}`);
      assert.ok(unknown.known.includes(r.builtin), `the error lists the known ${r.kind} names: ${unknown.known}`);
      assert.match(unknown.message, new RegExp(`Did you mean: %?${r.builtin}\\?`));
    });
  }
});

/** `%data`: load a dataset by name. */
import { listDatasets, loadDataset, type Dataset } from '../../data/core';
import { defineMagic } from '../registry';
import { magicSeed } from '../state';

/** One line describing a dataset. */
export function describeDataset(d: Dataset): string {
  const val = d.validation ? ` / ${d.validation.count} validation` : '';
  return `${d.name}: ${d.train.count} train${val} / ${d.test.count} test examples, ${d.train.numClasses} classes, features [${d.train.featureShape.join(', ')}] (${d.source})`;
}

defineMagic({
  name: 'data',
  summary: 'Load a dataset by name into a notebook variable.',
  args: [
    { name: 'name', kind: 'positional', choices: () => listDatasets(), help: 'Dataset name.' },
    { name: 'subset', type: 'int', min: 1, help: 'Keep this many training examples (seeded, class-stratified).' },
    { name: 'test-subset', type: 'int', min: 1, help: 'Keep this many test examples.' },
    { name: 'validation', type: 'number', min: 0, max: 1, exclusiveMax: true, help: 'Fraction of the training examples held out as validation.' },
    { name: 'flatten', type: 'boolean', help: 'Flatten each example to one dimension.' },
    { name: 'seed', type: 'int', help: 'Seed of subset and split (default: the %seed value).' },
    { name: 'as', type: 'identifier', default: 'data', help: 'Variable to store the dataset in.' },
  ],
  assigns: { arg: 'as', type: 'pl.Dataset' },
  examples: ['%data fashion-mnist --subset 2000 --as ds'],
  api: "const ds = await pl.loadDataset('fashion-mnist', { subset: 2000 });",
  async run({ args }, ctx) {
    const d = await loadDataset(args.name as string, {
      subset: args.subset as number | undefined,
      testSubset: args['test-subset'] as number | undefined,
      validationFraction: args.validation as number | undefined,
      flatten: (args.flatten as boolean) || undefined,
      seed: (args.seed as number | undefined) ?? magicSeed(),
    });
    ctx.print(`${args.as} = ${describeDataset(d)}`);
    return d;
  },
});

/** `%model`: build a zoo model. */
import { createModel, listModels } from '../../models';
import { defineMagic } from '../registry';
import { magicSeed } from '../state';
import { checkDataset } from './checks';
import type { Dataset } from '../../data/core';
import { OptionError } from '../../errors';

defineMagic({
  name: 'model',
  summary: 'Build a model from the zoo into a notebook variable.',
  args: [
    { name: 'name', kind: 'positional', choices: () => listModels().map((m) => m.name), help: 'Zoo model name.' },
    { name: 'data', type: 'variable', check: checkDataset, help: "A dataset whose input shape and number of classes the model takes (default: the model's own)." },
    { name: 'hidden', type: 'list', help: 'Hidden widths, for mlp (e.g. 300,100).' },
    { name: 'seed', type: 'int', help: 'Initialisation seed (default: the %seed value).' },
    { name: 'as', type: 'identifier', default: 'net', help: 'Variable to store the model in.' },
  ],
  assigns: { arg: 'as', type: 'tf.LayersModel' },
  examples: ['%model lenet-300-100 --as net'],
  api: "const net = pl.createModel('lenet-300-100', { seed: 0 });",
  run({ args }, ctx) {
    const data = args.data as Dataset | undefined;
    const hidden = args.hidden as string[] | undefined;
    const widths = hidden?.map((h) => {
      const n = Number(h);
      if (!Number.isInteger(n) || n < 1) throw new OptionError(`%model: --hidden takes positive integers, got '${h}'.`, 'hidden');
      return n;
    });
    const net = createModel(args.name as string, {
      seed: (args.seed as number | undefined) ?? magicSeed(),
      ...(data ? { inputShape: data.train.featureShape, classes: data.train.numClasses } : {}),
      ...(widths ? { hidden: widths } : {}),
    });
    ctx.print(`${args.as} = ${args.name}: ${net.countParams().toLocaleString('en-US')} parameters, input [${(net.inputs[0].shape.slice(1) as number[]).join(', ')}], ${net.outputs[0].shape[1]} outputs`);
    return net;
  },
});

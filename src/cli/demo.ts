/**
 * prunelab demo: train LeNet-300-100 on Fashion-MNIST, prune it by layerwise magnitude, fine-tune
 * with the masks held, and print test accuracy before and after.
 *
 * Usage: node build/src/cli/demo.js [--epochs 3] [--finetune-epochs 2] [--sparsity 0.9]
 *          [--dataset fashion-mnist] [--subset N] [--seed 0] [--backend wasm|cpu|tensorflow] [--batch-size 128] [--lr 0.001]
 * Ctrl-C stops the current training phase cleanly (masks still hold) and moves on.
 */
import { initBackend } from '../backend';
import { loadDataset } from '../data';
import { createModel } from '../models';
import { evaluate, train, type History, type TrainHook } from '../train';
import { prune, type MaskedModel } from '../prune';
import { ConsoleProgress } from './progress';
import { OptionError } from '../errors';

/** Parsed command-line flags. */
export interface DemoArgs {
  /** Dense training epochs. */
  epochs: number;
  /** Fine-tuning epochs after pruning. */
  finetuneEpochs: number;
  /** Fraction of each kernel's weights to prune. */
  sparsity: number;
  /** Dataset registry name (default `fashion-mnist`; `tiny-fashion` for a quick look). */
  dataset: string;
  /** Training examples to use (class-stratified subset), or all. */
  subset?: number;
  /** Seed of model, shuffling and subset. */
  seed: number;
  /** Backend name, or the best available. */
  backend?: string;
  /** Mini-batch size. */
  batchSize: number;
  /** Adam learning rate (training and fine-tuning, each with a fresh optimizer). */
  lr: number;
}

const USAGE =
  'Usage: node build/src/cli/demo.js [--epochs 3] [--finetune-epochs 2] [--sparsity 0.9] [--dataset fashion-mnist] [--subset N] ' +
  '[--seed 0] [--backend wasm|cpu|tensorflow] [--batch-size 128] [--lr 0.001]';

/**
 * Parses the demo's flags (`--name value` or `--name=value`).
 *
 * @param argv arguments after the script name.
 * @returns the parsed flags, or `'help'` for `--help`.
 * @throws for unknown flags or bad values, with the usage line.
 */
export function parseDemoArgs(argv: string[]): DemoArgs | 'help' {
  const a: DemoArgs = { dataset: 'fashion-mnist', epochs: 3, finetuneEpochs: 2, sparsity: 0.9, seed: 0, batchSize: 128, lr: 1e-3 };
  const num = (flag: string, v: string | undefined, ok: (x: number) => boolean, what: string): number => {
    const x = Number(v);
    if (v === undefined || v === '' || !ok(x)) throw new OptionError(`${flag} must be ${what}, got '${v ?? ''}'.\n${USAGE}`, flag);
    return x;
  };
  const int = (x: number) => Number.isInteger(x) && x >= 0;
  const pos = (x: number) => Number.isInteger(x) && x > 0;
  for (let i = 0; i < argv.length; i++) {
    let [flag, value] = argv[i].split(/=(.*)/s, 2) as [string, string | undefined];
    if (flag === '--help' || flag === '-h') return 'help';
    if (value === undefined) value = argv[++i];
    switch (flag) {
      case '--epochs': a.epochs = num(flag, value, int, 'an integer ≥ 0'); break;
      case '--finetune-epochs': a.finetuneEpochs = num(flag, value, int, 'an integer ≥ 0'); break;
      case '--sparsity': a.sparsity = num(flag, value, (x) => x >= 0 && x < 1, 'in [0, 1)'); break;
      case '--dataset': a.dataset = value ?? ''; break;
      case '--subset': a.subset = num(flag, value, pos, 'a positive integer'); break;
      case '--seed': a.seed = num(flag, value, Number.isInteger, 'an integer'); break;
      case '--backend': a.backend = value; break;
      case '--batch-size': a.batchSize = num(flag, value, pos, 'a positive integer'); break;
      case '--lr': a.lr = num(flag, value, (x) => x > 0 && Number.isFinite(x), 'a positive number'); break;
      default: throw new OptionError(`Unknown flag '${flag}'.\n${USAGE}`, flag);
    }
  }
  return a;
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

async function main(): Promise<void> {
  const args = parseDemoArgs(process.argv.slice(2));
  if (args === 'help') {
    console.log(USAGE);
    return;
  }
  await initBackend(args.backend);
  const ds = await loadDataset(args.dataset, { flatten: true, subset: args.subset, seed: args.seed });
  console.log(`${ds.name}: ${ds.train.count} training / ${ds.test.count} test examples (${ds.source})`);
  const model = createModel('lenet-300-100', { seed: args.seed });

  // Ctrl-C ends the current phase between steps; a second Ctrl-C exits.
  let controller = new AbortController();
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort();
    console.log('\n(interrupted: finishing the current step; Ctrl-C again to quit)');
  });

  const phase = async (label: string, epochs: number, lr: number, masks?: MaskedModel) => {
    if (epochs === 0) return;
    const progress = new ConsoleProgress({ label });
    const printer: TrainHook = { onEpochEnd: ({ metrics }) => progress.epochEnd(metrics, epochs) };
    let history: History;
    try {
      history = await train(model, ds.train, {
        optimizer: 'adam', learningRate: lr, epochs, batchSize: args.batchSize, seed: args.seed, validation: ds.test,
        masks, hooks: [printer], onProgress: progress.onProgress, signal: controller.signal,
      });
    } catch (e) {
      progress.stopped(`failed: ${(e as Error).message}`);
      throw e;
    }
    if (history.stopReason === 'aborted') progress.stopped('interrupted');
    if (interrupted) {
      interrupted = false;
      controller = new AbortController();
    }
  };

  await phase('train', args.epochs, args.lr);
  const dense = evaluate(model, ds.test);
  const masked = prune(model, { criterion: 'magnitude', sparsity: args.sparsity, scope: 'layerwise' });
  const pruned = evaluate(model, ds.test);
  await phase('finetune', args.finetuneEpochs, args.lr, masked);
  const tuned = evaluate(model, ds.test);
  const summary = masked.summary();
  const sparsity = summary.total.sparsity;

  console.log('\n| model | test accuracy | test loss | sparsity (all parameters) |');
  console.log('|---|---|---|---|');
  console.log(`| dense LeNet-300-100 | ${pct(dense.accuracy)} | ${dense.loss.toFixed(4)} | 0% |`);
  console.log(`| pruned ${pct(args.sparsity)} (magnitude, layerwise) | ${pct(pruned.accuracy)} | ${pruned.loss.toFixed(4)} | ${pct(sparsity)} |`);
  console.log(`| pruned + fine-tuned ${args.finetuneEpochs} epochs | ${pct(tuned.accuracy)} | ${tuned.loss.toFixed(4)} | ${pct(sparsity)} |`);
  console.log('\n' + summary.text);
  masked.strip(); // makes the pruning permanent and releases the masks
  model.dispose();
  process.removeAllListeners('SIGINT');
}

if (require.main === module) {
  main().catch((e: Error) => {
    console.error(`demo: ${e.message}`);
    process.exit(1);
  });
}

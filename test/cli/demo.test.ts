import { strict as assert } from 'assert';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { parseDemoArgs } from '../../src/cli/demo';

const demo = path.resolve(__dirname, '../../src/cli/demo.js');

describe('demo CLI', () => {
  it('parses flags and rejects bad ones with the usage line', () => {
    const a = parseDemoArgs(['--epochs', '1', '--sparsity=0.8', '--dataset', 'tiny-fashion']);
    assert.ok(a !== 'help');
    assert.equal(a.epochs, 1);
    assert.equal(a.sparsity, 0.8);
    assert.equal(a.dataset, 'tiny-fashion');
    assert.equal(parseDemoArgs(['--help']), 'help');
    assert.throws(() => parseDemoArgs(['--sparsity', '1']), /--sparsity must be in \[0, 1\), got '1'\.\nUsage:/);
    assert.throws(() => parseDemoArgs(['--epoch', '2']), /Unknown flag '--epoch'/);
  });

  it('trains, prunes to 90% with the pruning API, fine-tunes and prints the before/after table', () => {
    const out = execFileSync(process.execPath, [demo, '--dataset', 'tiny-fashion', '--epochs', '2', '--finetune-epochs', '1', '--backend', 'wasm'], {
      encoding: 'utf8',
      env: { ...process.env, PRUNELAB_OFFLINE: '1' },
    });
    const row = (label: RegExp) => {
      const line = out.split('\n').find((l) => label.test(l));
      assert.ok(line, `row ${label} in:\n${out}`);
      return line.split('|').map((c) => c.trim());
    };
    const dense = parseFloat(row(/^\| dense/)[2]);
    const tuned = parseFloat(row(/^\| pruned \+ fine-tuned/)[2]);
    assert.ok(dense > 40, `dense accuracy ${dense}% on tiny-fashion after 2 epochs`);
    assert.ok(tuned > 20, `fine-tuned accuracy ${tuned}%`);
    assert.match(out, /fc1\s+Dense\s+784x300\s+235,200\s+23,520\s+90\.00%/);
    assert.match(out, /train epoch 2\/2/);
  });

  it('names the dataset problem when the dataset is unknown', () => {
    assert.throws(
      () => execFileSync(process.execPath, [demo, '--dataset', 'cifar', '--epochs', '0'], { encoding: 'utf8', stdio: 'pipe' }),
      (e: { stderr: string }) => /Unknown dataset 'cifar'[\s\S]*fashion-mnist/.test(e.stderr),
    );
  });
});

import * as assert from 'assert';
import { ConsoleProgress } from '../../src/cli/progress';
import { setDisplaySink, type MimeBundle } from '../../src/report/display';
import { ProgressBar } from '../../src/report/progress';
import type { Progress } from '../../src/train/types';

const step = (epoch: number, batch: number): Progress => ({ epoch, epochs: 3, batch, batches: 10, step: epoch * 10 + batch, loss: 0.5, accuracy: 0.75 });

describe('training progress that stops early says where and why', () => {
  it('ProgressBar.stop stays at the last update, even a throttled one, and shows the reason', () => {
    const sent: MimeBundle[] = [];
    const prev = setDisplaySink({ show: (bundle) => void sent.push(bundle) });
    try {
      const bar = new ProgressBar('go', 10_000);
      bar.update(0.1, 'epoch 1/3 · batch 3/10');
      bar.update(0.4, 'epoch 2/3 · batch 2/10'); // throttled: not drawn
      assert.strictEqual(sent.length, 2);
      bar.stop('interrupted at epoch 2/3, batch 2/10');
      assert.strictEqual(sent.length, 3);
      assert.match(String(sent[2]['text/plain']), /\] {2}40%  interrupted at epoch 2\/3, batch 2\/10$/);
      assert.deepStrictEqual(bar.state, { fraction: 0.4, label: 'interrupted at epoch 2/3, batch 2/10' });
    } finally {
      setDisplaySink(prev);
    }
  });

  for (const tty of [true, false]) {
    it(`ConsoleProgress.stopped ends the ${tty ? 'in-place bar' : 'log'} with the last step reached`, () => {
      let out = '';
      const stream = { write: (s: string) => void (out += s), isTTY: tty } as unknown as NodeJS.WriteStream;
      const progress = new ConsoleProgress({ label: 'train', stream, tty });
      progress.onProgress(step(0, 1));
      progress.onProgress(step(1, 7));
      progress.stopped('interrupted');
      assert.ok(out.endsWith(`${tty ? '\r' : ''}train stopped at epoch 2/3, batch 7/10: interrupted${tty ? '\x1b[K' : ''}\n`), JSON.stringify(out));
    });
  }
});

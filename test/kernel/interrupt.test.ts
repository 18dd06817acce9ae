/**
 * Interrupting the real kernel process (SIGINT, as Jupyter's `interrupt_mode: signal` does) while
 * a cell's work runs asynchronously: `pl.train` without a signal, a user's timer loop, work that
 * cannot be cancelled (a child process), the queued cells behind an interrupted one and the
 * progress bar's last state.
 */
import * as assert from 'assert';
import { KernelClient } from '../../kernel/client';
import type { Message } from '../../kernel/wire';

/** Grace the kernel gives an interrupted cell before it cancels the cell's timers (kept short for tests). */
const GRACE_MS = 800;

function textOf(m: Message): string {
  return String((m.content.data as Record<string, unknown>)['text/plain']);
}

function streamText(msgs: Message[], name: 'stdout' | 'stderr'): string {
  return msgs.filter((m) => m.header.msg_type === 'stream' && m.content.name === name).map((m) => String(m.content.text)).join('');
}

function resultText(msgs: Message[]): string {
  const r = msgs.find((m) => m.header.msg_type === 'execute_result');
  return r ? textOf(r) : '';
}

/** The percentage a progress bar's text/plain shows (`[###---]  42%  label`). */
function barPercent(m: Message): number {
  const match = /\]\s+(\d+)%/.exec(textOf(m));
  assert.ok(match, `not a progress bar: ${textOf(m)}`);
  return Number(match[1]);
}

describe('interrupting the kernel (real process over ZeroMQ)', function () {
  this.timeout(120_000);
  let k: KernelClient;

  /** Sends an execute_request with stop_on_error (what "Run All" sends); returns its msg_id. */
  const submit = (code: string): string =>
    k.send('shell', 'execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });

  /** The reply of an interrupted cell: an error named KeyboardInterrupt. */
  const assertKeyboardInterrupt = (reply: Message): void => {
    assert.strictEqual(reply.content.status, 'error', JSON.stringify(reply.content));
    assert.strictEqual(reply.content.ename, 'KeyboardInterrupt');
  };

  /** Waits until the request's stdout contains `text`. */
  const waitStdout = (id: string, text: string): Promise<Message> =>
    k.waitFor((m) => m.parent_header.msg_id === id && m.header.msg_type === 'stream' && String(m.content.text).includes(text), 60_000);

  before(async () => {
    k = await KernelClient.start({ env: { PRUNELAB_BACKEND: 'cpu', PRUNELAB_INTERRUPT_GRACE_MS: String(GRACE_MS) } });
    const r = await k.execute('%data blobs --as blobsData\n%model mlp --data blobsData --hidden 64 --as net');
    assert.strictEqual(r.reply.content.status, 'ok', JSON.stringify(r.reply.content));
  });
  after(async () => {
    await k?.shutdown();
  });

  /** A cell that tells whether `expr` keeps its value over 400 ms (nothing of the interrupted cell runs on). */
  async function staysStill(expr: string): Promise<string> {
    const r = await k.execute(
      `const still1 = JSON.stringify(${expr});\nawait new Promise((r) => setTimeout(r, 400));\nstill1 === JSON.stringify(${expr}) ? 'still' : 'changed'`,
    );
    assert.strictEqual(r.reply.content.status, 'ok', JSON.stringify(r.reply.content));
    return resultText(r.iopub);
  }

  it('stops `await pl.train(...)` without a signal at the next step: KeyboardInterrupt, and the weights stop changing', async () => {
    const id = submit(
      'await pl.train(net, blobsData.train, { epochs: 1000, batchSize: 8, onProgress: (p) => { if (p.step === 3) console.log("training started"); } });',
    );
    await waitStdout(id, 'training started');
    k.interrupt();
    const reply = await k.waitReply(id, 30_000);
    assertKeyboardInterrupt(reply);
    assert.strictEqual(await staysStill('net.getWeights().map((w) => Array.from(w.dataSync()))'), "'still'", 'training went on after the interrupt');
    assert.match(String(reply.content.evalue), /training interrupted at epoch 1\/1000, batch \d+\/125 \(after \d+ steps\)/);
  });

  it('ends a cell whose pl.train got the signal as an error, and aborts the cells queued behind it (Run All)', async () => {
    const trainId = submit(
      'const h = await pl.train(net, blobsData.train, { epochs: 1000, batchSize: 8, signal: pl.interruptSignal(), onProgress: (p) => { if (p.step === 3) console.log("training started"); } });',
    );
    const nextId = submit('(globalThis as any).ranAfterInterrupt = true;');
    await waitStdout(trainId, 'training started');
    k.interrupt();
    const reply = await k.waitReply(trainId, 30_000);
    assertKeyboardInterrupt(reply);
    const next = await k.waitReply(nextId, 30_000);
    assert.strictEqual(next.content.status, 'aborted', 'the queued cell must not run after an interrupted one');
    const check = await k.execute('typeof (globalThis as any).ranAfterInterrupt');
    assert.strictEqual(resultText(check.iopub), "'undefined'");
  });

  it('halts a `while (true) { await timer }` loop that ignores the signal, after the grace period', async () => {
    const id = submit(
      '(globalThis as any).ticks = 0;\n' +
        'while (true) {\n' +
        '  await new Promise((r) => setTimeout(r, 10));\n' +
        '  await tf.nextFrame();\n' +
        '  if (++(globalThis as any).ticks === 5) console.log("looping");\n' +
        '}',
    );
    await waitStdout(id, 'looping');
    const t0 = Date.now();
    k.interrupt();
    const reply = await k.waitReply(id, 30_000);
    assertKeyboardInterrupt(reply);
    assert.ok(Date.now() - t0 < GRACE_MS + 3000, `the reply took ${Date.now() - t0} ms`);
    assert.strictEqual(await staysStill('(globalThis as any).ticks'), "'still'", 'the loop kept counting after the interrupt');
  });

  it('keeps an interrupted cell busy, saying so, until work it cannot cancel (a child process) ends; the next cell waits', async () => {
    const id = submit(
      'import { execFile } from "child_process";\n' +
        'console.log("spawned");\n' +
        'await new Promise((r) => execFile("sleep", ["3"], r));\n' +
        '(globalThis as any).sleepEnded = Date.now();',
    );
    await waitStdout(id, 'spawned');
    const spawned = Date.now();
    k.interrupt();
    const nextId = submit('(globalThis as any).sleepEnded');
    const reply = await k.waitReply(id, 30_000);
    const replied = Date.now();
    assertKeyboardInterrupt(reply);
    assert.ok(replied - spawned >= 2500, `the reply came ${replied - spawned} ms after the child started, before the child ended`);
    await k.waitFor((m) => m.parent_header.msg_id === id && m.header.msg_type === 'status' && m.content.execution_state === 'idle', 10_000);
    const out = k.iopubFor(id);
    const idle = out.find((m) => m.header.msg_type === 'status' && m.content.execution_state === 'idle')!;
    assert.ok(Date.parse(idle.header.date) - spawned >= 2500, 'the kernel reported idle while the interrupted cell\'s work still ran');
    assert.match(streamText(out, 'stderr'), /still running.*\n?.*restart/i);
    assert.match(String(reply.content.evalue), /still running|waited/i);
    const next = await k.waitReply(nextId, 30_000);
    assert.strictEqual(next.content.status, 'aborted');
  });

  it('interrupts a synchronous loop inside tf.tidy without leaking its tensors or its tidy scope', async () => {
    const state = 'tf.memory().numTensors + " tensors, scope depth " + (tf.engine() as any).state.scopeStack.length';
    const before = resultText((await k.execute(state)).iopub);
    const id = submit('tf.tidy(() => { const ones = tf.ones([1000]); while (true) { ones.shape; } })');
    // The loop never yields, so nothing (not even execute_input) leaves the kernel until it stops;
    // a SIGINT that comes while TypeScript still compiles the cell is not seen by the loop, so
    // interrupt until it stops.
    let reply: Message | null = null;
    for (let i = 0; i < 20 && !reply; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      k.interrupt();
      reply = await k.waitReply(id, 1000).catch(() => null);
    }
    assert.ok(reply, 'the loop did not stop');
    assertKeyboardInterrupt(reply);
    assert.strictEqual(resultText((await k.execute(state)).iopub), before);
  });

  it('leaves the %finetune progress bar where training stopped on an interrupt (no jump backwards)', async () => {
    const id = submit('%finetune net --data blobsData --epochs 2 --batch-size 1 --no-test');
    await k.waitFor((m) => m.parent_header.msg_id === id && m.header.msg_type === 'update_display_data', 60_000);
    await new Promise((r) => setTimeout(r, 300));
    k.interrupt();
    const reply = await k.waitReply(id, 30_000);
    assert.strictEqual(reply.content.ename, 'KeyboardInterrupt', JSON.stringify(reply.content));
    const bars = k.iopubFor(id).filter((m) => m.header.msg_type === 'update_display_data');
    const last = bars[bars.length - 1];
    const shown = Math.max(...bars.slice(0, -1).map(barPercent));
    assert.ok(barPercent(last) >= shown, `the bar went back from ${shown}% to ${barPercent(last)}%: ${textOf(last)}`);
    const m = /interrupted at epoch (\d)\/2, batch (\d+)\/1000/.exec(textOf(last));
    assert.ok(m, `the bar does not say where training stopped: ${textOf(last)}`);
    const fraction = (Number(m[1]) - 1 + Number(m[2]) / 1000) / 2;
    assert.strictEqual(barPercent(last), Math.round(100 * fraction), textOf(last));
    const steps = /after (\d+) steps/.exec(String(reply.content.evalue));
    assert.ok(steps, String(reply.content.evalue));
    assert.strictEqual(Number(steps[1]), (Number(m[1]) - 1) * 1000 + Number(m[2]), 'the bar and the error disagree on where training stopped');
  });

  it('leaves the %finetune progress bar saying where and why training failed', async () => {
    const r = await k.execute('%model mlp --data blobsData --hidden 16 --as wild\n%finetune wild --data blobsData --epochs 1 --batch-size 4 --lr 1e30 --optimizer sgd --no-test');
    assert.strictEqual(r.reply.content.status, 'error');
    assert.strictEqual(r.reply.content.ename, 'NonFiniteLossError', JSON.stringify(r.reply.content));
    const bars = r.iopub.filter((m) => m.header.msg_type === 'update_display_data');
    assert.ok(bars.length > 0, 'no progress update');
    const last = textOf(bars[bars.length - 1]);
    assert.match(last, /failed at epoch 1\/1, batch \d+\/250: NonFiniteLossError/);
  });
});

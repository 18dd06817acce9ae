// The kernel object lives on the main thread; cells run in a Web Worker
// reached over comlink (the pattern of jupyterlite/javascript-kernel).
import type { KernelMessage } from '@jupyterlab/services';
import { BaseKernel, type IKernel } from '@jupyterlite/services';
import { PromiseDelegate } from '@lumino/coreutils';
import { wrap, type Remote } from 'comlink';
import type { WorkerApi } from './worker';

export class PrunelabKernel extends BaseKernel implements IKernel {
  constructor(options: IKernel.IOptions) {
    super(options);
    // Written exactly so: rspack turns `new Worker(new URL(...))` into a worker
    // chunk; its name lets the build skip identifier mangling there (tfjs's
    // threaded wasm backend stringifies a function to start its pthreads).
    this._worker = new Worker(
      /* webpackChunkName: "prunelab-kernel-worker" */ new URL('./worker.ts', import.meta.url),
      { type: 'module' },
    );
    this._worker.addEventListener('message', (e) => this._onWorkerMessage(e.data));
    this._remote = wrap<WorkerApi>(this._worker);
    this._remote.initialize().then(
      (backend) => {
        this._backend = backend;
        this._ready.resolve();
      },
      (err) => this._ready.reject(err),
    );
  }

  get ready(): Promise<void> {
    return this._ready.promise;
  }

  dispose(): void {
    if (this.isDisposed) return;
    this._worker.terminate();
    super.dispose();
  }

  async kernelInfoRequest(): Promise<KernelMessage.IInfoReplyMsg['content']> {
    return {
      implementation: 'prunelab',
      implementation_version: '0.0.0',
      language_info: {
        codemirror_mode: { name: 'javascript' },
        file_extension: '.ts',
        mimetype: 'text/typescript',
        name: 'typescript',
        nbconvert_exporter: 'script',
        pygments_lexer: 'typescript',
        version: 'es2022',
      },
      protocol_version: '5.3',
      status: 'ok',
      banner: `prunelab: pruning on TensorFlow.js, in the browser${this._backend ? ` (backend ${this._backend})` : ''}`,
      help_links: [],
    };
  }

  async executeRequest(
    content: KernelMessage.IExecuteRequestMsg['content'],
  ): Promise<KernelMessage.IExecuteReplyMsg['content']> {
    const r = await this._remote.execute(content.code);
    if (r.status === 'ok') {
      if (r.data) {
        this.publishExecuteResult(
          { execution_count: this.executionCount, data: r.data, metadata: {} },
          this.parentHeader,
        );
      }
      return { status: 'ok', execution_count: this.executionCount, user_expressions: {} };
    }
    const error = { ename: r.ename, evalue: r.evalue, traceback: r.traceback };
    this.publishExecuteError(error, this.parentHeader);
    return { status: 'error', execution_count: this.executionCount, ...error };
  }

  async completeRequest(
    content: KernelMessage.ICompleteRequestMsg['content'],
  ): Promise<KernelMessage.ICompleteReplyMsg['content']> {
    const c = await this._remote.complete(content.code, content.cursor_pos);
    return { matches: c.candidates, cursor_start: c.start, cursor_end: c.end, metadata: {}, status: 'ok' };
  }

  /** Shift+Tab on a magic line shows its help (the same text as `%name?`). */
  async inspectRequest(
    content: KernelMessage.IInspectRequestMsg['content'],
  ): Promise<KernelMessage.IInspectReplyMsg['content']> {
    const help = await this._remote.inspect(content.code, content.cursor_pos);
    return help ? { status: 'ok', found: true, data: { 'text/plain': help }, metadata: {} } : { status: 'ok', found: false, data: {}, metadata: {} };
  }

  async isCompleteRequest(): Promise<KernelMessage.IIsCompleteReplyMsg['content']> {
    return { status: 'complete' };
  }

  async commInfoRequest(): Promise<KernelMessage.ICommInfoReplyMsg['content']> {
    return { status: 'ok', comms: {} };
  }

  inputReply(): void {}
  async commOpen(): Promise<void> {}
  async commMsg(): Promise<void> {}
  async commClose(): Promise<void> {}

  /** Interrupting stops the running cell's training at its next batch (the worker's AbortSignal). */
  async interruptRequest(): Promise<void> {
    await this._remote.interrupt();
  }

  /** Streams and displays (console.log, pl.display, progress bars) arrive as plain postMessage, not comlink. */
  private _onWorkerMessage(msg: any): void {
    if (msg?.type === 'stream') {
      this.stream(msg.bundle, this.parentHeader);
    } else if (msg?.type === 'display') {
      const content = { data: msg.bundle, metadata: {}, transient: msg.displayId ? { display_id: msg.displayId } : {} };
      if (msg.update) this.updateDisplayData(content, this.parentHeader);
      else this.displayData(content, this.parentHeader);
    }
  }

  /** The tfjs backend the worker started on. */
  private _backend = '';
  private _worker: Worker;
  private _remote: Remote<WorkerApi>;
  private _ready = new PromiseDelegate<void>();
}

/**
 * The prunelab Jupyter server: tslab's `ZmqServer` (socket setup, heartbeat, receive loops) and
 * `JupyterHandlerImpl` (completion, inspection, is_complete), extended with what a full kernel
 * needs and tslab lacks: signature checks that reject forged messages, `execute_input`,
 * `execute_result` and `error` messages, history, interrupt and shutdown on the control channel,
 * aborting queued cells after an error, and a correct `comm_info_reply`.
 */
import * as fs from 'fs';
import type * as zmq from 'zeromq';
import * as ts from '@tslab/typescript-for-tslab';
import { isCompleteCode } from 'tslab/dist/converter';
import { JupyterHandlerImpl, ZmqServer } from 'tslab/dist/jupyter';
import type { PrunelabExecutor } from './executor';
import { History, type HistoryQuery } from './history';
import { findMagicLines } from './transform';
import { getMagic } from '../src/magics/registry';
import { child, decode, encode, PROTOCOL_VERSION, Signer, type Message } from './wire';

/** Writes to the kernel's own stderr (the Jupyter server log), even while cells capture stderr. */
const logWrite = process.stderr.write.bind(process.stderr);
/** Logs a line to the kernel's log. */
export function kernelLog(text: string): void {
  logWrite(`[prunelab kernel] ${text}\n`);
}

function packageVersion(): string {
  try {
    return JSON.parse(fs.readFileSync(require.resolve('../../package.json'), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
}

/** tslab's handler with magic-aware `is_complete` and magic help for `inspect`. */
export class PrunelabHandler extends JupyterHandlerImpl {
  constructor(readonly prunelab: PrunelabExecutor) {
    super(prunelab, false);
  }

  override handleIsComplete(req: { code: string }): ReturnType<JupyterHandlerImpl['handleIsComplete']> {
    const magics = findMagicLines(req.code);
    for (const m of magics) {
      if (m.help || !m.name) continue;
      try {
        getMagic(m.name, m.form === 'cell' && m.line === 0 ? 'cell' : 'line');
      } catch {
        return { status: 'invalid' } as unknown as ReturnType<JupyterHandlerImpl['handleIsComplete']>;
      }
    }
    const first = magics[0];
    if (first && first.form === 'cell' && first.line === 0 && !getMagic(first.name, 'cell').code) {
      return { status: 'complete' };
    }
    // Magic lines are not TypeScript: blank them (keeping offsets) before tslab's check.
    let code = req.code;
    for (const m of magics) code = code.slice(0, m.start) + ' '.repeat(m.end - m.start) + code.slice(m.end);
    return super.handleIsComplete({ code });
  }

  override handleInspect(req: { code: string; cursor_pos: number; detail_level: 0 | 1 }): ReturnType<JupyterHandlerImpl['handleInspect']> {
    const help = this.prunelab.magicHelpAt(req.code, req.cursor_pos);
    if (help !== null) return { status: 'ok', found: true, data: { 'text/plain': help }, metadata: {} };
    return super.handleInspect(req);
  }
}

/** The `kernel_info_reply` content. */
export function kernelInfo(): Record<string, unknown> {
  return {
    status: 'ok',
    protocol_version: PROTOCOL_VERSION,
    implementation: 'prunelab',
    implementation_version: packageVersion(),
    language_info: {
      name: 'typescript',
      version: ts.version,
      mimetype: 'text/typescript',
      file_extension: '.ts',
      pygments_lexer: 'typescript',
      // The same CodeMirror setting tslab uses: TypeScript highlighting in both Notebook and Lab.
      codemirror_mode: { mode: 'typescript', name: 'javascript', typescript: true },
    },
    banner: `prunelab ${packageVersion()}: TypeScript (tslab, TypeScript ${ts.version}, Node ${process.version}) with pruning magics; run %lsmagic.`,
    help_links: [{ text: 'prunelab magics', url: 'https://github.com/prunelab/prunelab#magics' }],
  };
}

interface ExecuteRequest {
  code: string;
  silent?: boolean;
  store_history?: boolean;
  user_expressions?: Record<string, string>;
  stop_on_error?: boolean;
}

/** The kernel's ZeroMQ server. */
export class PrunelabServer extends ZmqServer {
  private readonly signer: Signer;
  private readonly history = new History();
  private readonly sendChains = new Map<unknown, Promise<void>>();
  private execCount = 0;
  private queue: Promise<void> = Promise.resolve();
  /** Bumped by a failed cell with stop_on_error: requests received before it are aborted. */
  private abortGeneration = 0;
  /** Messages dropped for a bad signature (for tests and logs). */
  rejected = 0;

  constructor(
    readonly prunelabHandler: PrunelabHandler,
    configPath: string,
  ) {
    super(prunelabHandler, configPath);
    const info = JSON.parse(fs.readFileSync(configPath, 'utf8'));
    this.signer = new Signer(info.key ?? '', info.signature_scheme ?? 'hmac-sha256');
  }

  private get executor(): PrunelabExecutor {
    return this.prunelabHandler.prunelab;
  }

  /** Sends frames on a socket, one send at a time per socket (zeromq 6 allows one pending send). */
  private send(sock: zmq.Router | zmq.Publisher, msg: Message): void {
    const frames = encode(msg, this.signer);
    const prev = this.sendChains.get(sock) ?? Promise.resolve();
    const next = prev.then(() => sock.send(frames as Buffer[])).catch((e) => kernelLog(`send failed: ${e}`));
    this.sendChains.set(sock, next);
  }

  private reply(sock: zmq.Router, parent: Message, type: string, content: Record<string, unknown>): void {
    this.send(sock, child(parent, type, content, true));
  }

  private publish(parent: Message, type: string, content: Record<string, unknown>): void {
    this.send(this.iopub, child(parent, type, content, false));
  }

  override publishStatus(status: string, parent: Message | unknown): void {
    this.publish(parent as Message, 'status', { execution_state: status });
  }

  override async handleShellMessage(sock: zmq.Router, ...frames: Buffer[]): Promise<void> {
    let msg: Message;
    try {
      msg = decode(frames, this.signer);
    } catch (e) {
      this.rejected++;
      kernelLog(`rejected a message: ${(e as Error).message}`);
      return;
    }
    const type = msg.header.msg_type;
    if (type === 'execute_request') {
      await this.execute(sock, msg);
      return;
    }
    this.publishStatus('busy', msg);
    try {
      this.dispatch(sock, msg);
    } catch (e) {
      kernelLog(`error handling ${type}: ${(e as Error).stack ?? e}`);
      this.reply(sock, msg, type.replace(/_request$/, '_reply'), { status: 'error', ename: (e as Error).name ?? 'Error', evalue: String((e as Error).message ?? e), traceback: [] });
    } finally {
      this.publishStatus('idle', msg);
    }
  }

  private dispatch(sock: zmq.Router, msg: Message): void {
    const c = msg.content;
    switch (msg.header.msg_type) {
      case 'kernel_info_request':
        this.reply(sock, msg, 'kernel_info_reply', kernelInfo());
        break;
      case 'is_complete_request':
        this.reply(sock, msg, 'is_complete_reply', { ...this.prunelabHandler.handleIsComplete(c as { code: string }) });
        break;
      case 'inspect_request':
        this.reply(sock, msg, 'inspect_reply', { ...this.prunelabHandler.handleInspect(c as never) });
        break;
      case 'complete_request':
        this.reply(sock, msg, 'complete_reply', { ...this.prunelabHandler.handleComplete(c as never) });
        break;
      case 'history_request':
        this.reply(sock, msg, 'history_reply', { status: 'ok', history: this.history.query(c as unknown as HistoryQuery) });
        break;
      case 'comm_info_request':
        this.reply(sock, msg, 'comm_info_reply', { status: 'ok', comms: {} });
        break;
      case 'interrupt_request':
        this.executor.interrupt();
        this.reply(sock, msg, 'interrupt_reply', { status: 'ok' });
        break;
      case 'shutdown_request': {
        const restart = !!c.restart;
        this.reply(sock, msg, 'shutdown_reply', { status: 'ok', restart });
        setTimeout(() => {
          this.close();
          process.exit(0);
        }, 100);
        break;
      }
      case 'comm_open':
      case 'comm_msg':
      case 'comm_close':
        break; // no comm targets
      default:
        kernelLog(`unsupported message type: ${msg.header.msg_type}`);
    }
  }

  private async execute(sock: zmq.Router, msg: Message): Promise<void> {
    const req = msg.content as unknown as ExecuteRequest;
    const silent = !!req.silent;
    const storeHistory = !silent && req.store_history !== false;
    const generation = this.abortGeneration;
    const run = async () => {
      this.publishStatus('busy', msg);
      try {
        if (generation !== this.abortGeneration) {
          this.reply(sock, msg, 'execute_reply', { status: 'aborted', execution_count: this.execCount });
          return;
        }
        await this.executeNow(sock, msg, req, silent, storeHistory);
      } finally {
        this.publishStatus('idle', msg);
      }
    };
    const done = this.queue.then(run);
    this.queue = done.catch((e) => kernelLog(`execute failed: ${(e as Error).stack ?? e}`));
    await this.queue;
  }

  private async executeNow(sock: zmq.Router, msg: Message, req: ExecuteRequest, silent: boolean, storeHistory: boolean): Promise<void> {
    if (storeHistory) this.execCount++;
    const count = this.execCount;
    if (!silent) this.publish(msg, 'execute_input', { code: req.code, execution_count: count });
    const outcome = await this.executor.run(req.code, {
      stream: (name, text) => {
        if (!silent && text) this.publish(msg, 'stream', { name, text });
      },
      display: (bundle, displayId, update) => {
        if (silent) return;
        const content = { data: bundle, metadata: {}, transient: displayId ? { display_id: displayId } : {} };
        this.publish(msg, update ? 'update_display_data' : 'display_data', content);
      },
    });
    if (outcome.status === 'ok') {
      if (outcome.result && !silent) this.publish(msg, 'execute_result', { execution_count: count, data: outcome.result, metadata: {} });
      if (storeHistory) this.history.add(count, req.code, outcome.result ? String(outcome.result['text/plain']) : null);
      this.reply(sock, msg, 'execute_reply', { status: 'ok', execution_count: count, payload: [], user_expressions: {} });
      return;
    }
    const { ename, evalue, traceback } = outcome;
    if (!silent) this.publish(msg, 'error', { ename, evalue, traceback });
    if (storeHistory) this.history.add(count, req.code, null);
    if (req.stop_on_error !== false) this.abortGeneration++;
    this.reply(sock, msg, 'execute_reply', { status: 'error', execution_count: count, ename, evalue, traceback, user_expressions: {}, payload: [] });
  }
}

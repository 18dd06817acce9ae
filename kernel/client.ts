/**
 * A small Jupyter client over ZeroMQ, for tests and benchmarks: starts a kernel process on a
 * fresh connection file and exchanges signed messages with it.
 */
import { spawn, type ChildProcess } from 'child_process';
import { randomBytes, randomUUID } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import * as zmq from 'zeromq';
import { decode, encode, newHeader, Signer, type Message } from './wire';

/** A free TCP port on 127.0.0.1 (the OS picks it; a small race is acceptable in tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Contents of a Jupyter connection file. */
export interface ConnectionInfo {
  ip: string;
  transport: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
  kernel_name: string;
}

/** Writes a connection file with free ports and a random key. */
export async function writeConnectionFile(dir: string): Promise<{ file: string; info: ConnectionInfo }> {
  const info: ConnectionInfo = {
    ip: '127.0.0.1',
    transport: 'tcp',
    shell_port: await freePort(),
    iopub_port: await freePort(),
    stdin_port: await freePort(),
    control_port: await freePort(),
    hb_port: await freePort(),
    key: randomBytes(16).toString('hex'),
    signature_scheme: 'hmac-sha256',
    kernel_name: 'prunelab',
  };
  const file = path.join(dir, `kernel-${randomUUID()}.json`);
  fs.writeFileSync(file, JSON.stringify(info));
  return { file, info };
}

/** A request's reply and the iopub messages it caused (up to its `idle` status). */
export interface Exchange {
  /** The reply on shell/control. */
  reply: Message;
  /** iopub messages with this request as parent, in order, without `status` messages. */
  iopub: Message[];
}

/** Options of {@link KernelClient.start}. */
export interface StartOptions {
  /** Working directory of the kernel process (default: a temp dir). */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Kernel command before the connection file (default: this node, build/kernel/main.js). */
  argv?: string[];
  /** Collect the kernel's stderr (the kernel log) here. */
  onLog?: (text: string) => void;
}

/** A kernel process and the sockets to talk to it. */
export class KernelClient {
  readonly session = randomUUID();
  private readonly signer: Signer;
  private readonly shell = new zmq.Dealer();
  private readonly control = new zmq.Dealer();
  private readonly iopub = new zmq.Subscriber();
  private readonly received: Message[] = [];
  private readonly replies = new Map<string, Message>();
  private waiters: (() => void)[] = [];
  private closed = false;
  /** The kernel's stderr so far. */
  log = '';

  private constructor(
    readonly info: ConnectionInfo,
    readonly process: ChildProcess | null,
    readonly connectionFile: string,
  ) {
    this.signer = new Signer(info.key, info.signature_scheme);
  }

  /** Starts a kernel process and connects to it (resolves when kernel_info is answered). */
  static async start(options: StartOptions = {}): Promise<KernelClient> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-kernel-'));
    const { file, info } = await writeConnectionFile(dir);
    const argv = options.argv ?? [process.execPath, path.resolve(__dirname, 'main.js')];
    const child = spawn(argv[0], [...argv.slice(1), file], {
      cwd: options.cwd ?? dir,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const client = new KernelClient(info, child, file);
    child.stdout!.on('data', (d) => {
      client.log += d.toString();
      options.onLog?.(d.toString());
    });
    child.stderr!.on('data', (d) => {
      client.log += d.toString();
      options.onLog?.(d.toString());
    });
    await client.connect();
    return client;
  }

  /** Connects to a running kernel described by `info` (no process management). */
  static async attach(info: ConnectionInfo): Promise<KernelClient> {
    const client = new KernelClient(info, null, '');
    await client.connect();
    return client;
  }

  private async connect(): Promise<void> {
    const url = (port: number) => `${this.info.transport}://${this.info.ip}:${port}`;
    this.shell.connect(url(this.info.shell_port));
    this.control.connect(url(this.info.control_port));
    this.iopub.connect(url(this.info.iopub_port));
    this.iopub.subscribe();
    void this.pump(this.shell, 'shell');
    void this.pump(this.control, 'control');
    void this.pump(this.iopub, 'iopub');
    // The kernel may take a few seconds to bind; kernel_info is retried until answered.
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.process && this.process.exitCode !== null) throw new Error(`kernel exited with ${this.process.exitCode}:\n${this.log}`);
      const id = this.send('shell', 'kernel_info_request', {});
      const reply = await this.waitReply(id, 1000).catch(() => null);
      if (reply) {
        // Wait for the iopub subscription to be live, so no output of the next request is lost.
        await this.waitFor((m) => m.parent_header.msg_id === id && m.header.msg_type === 'status' && m.content.execution_state === 'idle', 1000).catch(() => null);
        return;
      }
      if (Date.now() > deadline) throw new Error(`kernel did not answer kernel_info within 60 s:\n${this.log}`);
    }
  }

  private async pump(sock: zmq.Dealer | zmq.Subscriber, channel: string): Promise<void> {
    try {
      for await (const frames of sock) {
        const msg = decode(frames as Buffer[], this.signer);
        (msg as Message & { channel?: string }).channel = channel;
        if (channel === 'iopub') this.received.push(msg);
        else this.replies.set(String(msg.parent_header.msg_id), msg);
        const w = this.waiters;
        this.waiters = [];
        w.forEach((f) => f());
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  private tick(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Sends a request; returns its msg_id. */
  send(channel: 'shell' | 'control', msgType: string, content: Record<string, unknown>): string {
    const header = newHeader(msgType, this.session, 'test');
    const msg: Message = { identities: [], header, parent_header: {}, metadata: {}, content, buffers: [] };
    void (channel === 'shell' ? this.shell : this.control).send(encode(msg, this.signer) as Buffer[]);
    return header.msg_id;
  }

  /** Sends raw frames on shell (for forged-message tests). */
  sendRaw(frames: (Buffer | string)[]): Promise<void> {
    return this.shell.send(frames as Buffer[]);
  }

  /** Waits for the reply to `msgId`. */
  async waitReply(msgId: string, timeoutMs = 30_000): Promise<Message> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = this.replies.get(msgId);
      if (r) return r;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no reply to ${msgId} within ${timeoutMs} ms`);
      await this.tick(left);
    }
  }

  /** Waits for an iopub message matching `pred`. */
  async waitFor(pred: (m: Message) => boolean, timeoutMs = 30_000): Promise<Message> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = this.received.find(pred);
      if (m) return m;
      const left = end - Date.now();
      if (left <= 0) throw new Error(`no matching iopub message within ${timeoutMs} ms`);
      await this.tick(left);
    }
  }

  /** The iopub messages seen so far with `msgId` as parent. */
  iopubFor(msgId: string): Message[] {
    return this.received.filter((m) => m.parent_header.msg_id === msgId);
  }

  /** Sends a request and waits for its reply and its `idle` status. */
  async request(channel: 'shell' | 'control', msgType: string, content: Record<string, unknown>, timeoutMs = 60_000): Promise<Exchange> {
    const id = this.send(channel, msgType, content);
    const reply = await this.waitReply(id, timeoutMs);
    await this.waitFor((m) => m.parent_header.msg_id === id && m.header.msg_type === 'status' && m.content.execution_state === 'idle', timeoutMs);
    return { reply, iopub: this.iopubFor(id).filter((m) => m.header.msg_type !== 'status') };
  }

  /** Executes code; resolves with the reply and the outputs. */
  execute(code: string, options: { silent?: boolean; storeHistory?: boolean; stopOnError?: boolean; timeoutMs?: number } = {}): Promise<Exchange> {
    return this.request(
      'shell',
      'execute_request',
      { code, silent: options.silent ?? false, store_history: options.storeHistory ?? true, user_expressions: {}, allow_stdin: false, stop_on_error: options.stopOnError ?? true },
      options.timeoutMs ?? 120_000,
    );
  }

  /** Sends SIGINT to the kernel process (Jupyter's `interrupt_mode: signal`). */
  interrupt(): void {
    this.process?.kill('SIGINT');
  }

  /** Asks the kernel to shut down, waits for it to exit (kills it after `timeoutMs`), and closes the sockets. */
  async shutdown(timeoutMs = 5000): Promise<void> {
    const proc = this.process;
    if (proc && proc.exitCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      this.send('control', 'shutdown_request', { restart: false });
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    this.close();
  }

  /** Closes the sockets (the kernel keeps running). */
  close(): void {
    this.closed = true;
    this.shell.close();
    this.control.close();
    this.iopub.close();
    if (this.connectionFile) fs.rmSync(path.dirname(this.connectionFile), { recursive: true, force: true });
  }
}

/**
 * Jupyter wire protocol: parsing, HMAC verification and signing of messages.
 * https://jupyter-client.readthedocs.io/en/latest/messaging.html#the-wire-protocol
 *
 * tslab's own message class is private to its module and verifies signatures with a plain
 * string comparison; this one compares in constant time, rejects replayed signatures (like
 * ipykernel) and supports unsigned sessions (empty key).
 */
import { createHmac, randomUUID, timingSafeEqual } from 'crypto';

/** The `<IDS|MSG>` delimiter between routing identities and the message. */
export const DELIMITER = Buffer.from('<IDS|MSG>');

/** Protocol version this kernel speaks. */
export const PROTOCOL_VERSION = '5.3';

/** A message header. */
export interface Header {
  /** Unique id of the message. */
  msg_id: string;
  /** The user's name, copied from requests. */
  username: string;
  /** The sender's session id. */
  session: string;
  /** ISO 8601 creation time. */
  date: string;
  /** Message type, e.g. `execute_request`. */
  msg_type: string;
  /** Protocol version, e.g. `5.3`. */
  version: string;
}

/** A decoded message. */
export interface Message {
  /** ZeroMQ routing identities (empty for iopub). */
  identities: Buffer[];
  /** This message's header. */
  header: Header;
  /** Header of the request this message answers (or `{}`). */
  parent_header: Partial<Header>;
  /** Metadata. */
  metadata: Record<string, unknown>;
  /** Content, by message type. */
  content: Record<string, unknown>;
  /** Extra binary buffers. */
  buffers: Buffer[];
}

/** A message whose signature does not match (or was seen before): it must be dropped. */
export class SignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureError';
  }
}

/** Signs and verifies messages with the connection file's key. */
export class Signer {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];

  /**
   * @param key the connection file's `key`; empty disables signing (as Jupyter specifies).
   * @param scheme the connection file's `signature_scheme` (`hmac-sha256` and friends).
   * @param replayWindow how many recent signatures are remembered to reject replays.
   */
  constructor(
    private readonly key: string,
    scheme = 'hmac-sha256',
    private readonly replayWindow = 4096,
  ) {
    const m = /^hmac-(.+)$/.exec(scheme);
    if (!m) throw new Error(`Unsupported signature_scheme '${scheme}'; expected hmac-<digest>, e.g. hmac-sha256.`);
    this.digest = m[1];
    // Fails early for a digest node does not know.
    createHmac(this.digest, 'probe');
  }
  private readonly digest: string;

  /** The hex signature of the four JSON frames (empty when signing is off). */
  sign(frames: readonly (Buffer | string)[]): string {
    if (!this.key) return '';
    const h = createHmac(this.digest, this.key);
    for (const f of frames) h.update(f);
    return h.digest('hex');
  }

  /**
   * Checks a received signature in constant time and remembers it.
   * @throws SignatureError when it does not match or was already used.
   */
  verify(signature: string, frames: readonly Buffer[]): void {
    if (!this.key) return;
    const want = Buffer.from(this.sign(frames), 'utf8');
    const got = Buffer.from(signature, 'utf8');
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      throw new SignatureError('invalid HMAC signature');
    }
    if (this.seen.has(signature)) throw new SignatureError('duplicate signature (replayed message)');
    this.seen.add(signature);
    this.order.push(signature);
    if (this.order.length > this.replayWindow) this.seen.delete(this.order.shift()!);
  }
}

/**
 * Decodes and verifies raw frames `[...identities, <IDS|MSG>, hmac, header, parent, metadata, content, ...buffers]`.
 * @throws SignatureError for a bad signature; Error for malformed frames.
 */
export function decode(frames: Buffer[], signer: Signer): Message {
  const delim = frames.findIndex((f) => f.equals(DELIMITER));
  if (delim < 0) throw new Error('message without the <IDS|MSG> delimiter');
  if (frames.length < delim + 6) throw new Error('message with fewer than 5 frames after the delimiter');
  const signature = frames[delim + 1].toString('utf8');
  const parts = frames.slice(delim + 2, delim + 6);
  signer.verify(signature, parts);
  const [header, parent_header, metadata, content] = parts.map((p) => JSON.parse(p.toString('utf8')));
  return { identities: frames.slice(0, delim), header, parent_header, metadata, content, buffers: frames.slice(delim + 6) };
}

/** Encodes and signs a message into frames. */
export function encode(msg: Message, signer: Signer): (Buffer | string)[] {
  const parts = [JSON.stringify(msg.header), JSON.stringify(msg.parent_header), JSON.stringify(msg.metadata), JSON.stringify(msg.content)];
  return [...msg.identities, DELIMITER, signer.sign(parts), ...parts, ...msg.buffers];
}

/** A new header for a message of `msgType` in `session`. */
export function newHeader(msgType: string, session: string, username = 'kernel'): Header {
  return { msg_id: randomUUID(), username, session, date: new Date().toISOString(), msg_type: msgType, version: PROTOCOL_VERSION };
}

/**
 * A message answering (or caused by) `parent`: same session, `parent_header` set, and for
 * replies on a router socket the same routing identities.
 */
export function child(parent: Message, msgType: string, content: Record<string, unknown>, keepIdentities: boolean): Message {
  return {
    identities: keepIdentities ? parent.identities : [],
    header: newHeader(msgType, parent.header.session, parent.header.username),
    parent_header: parent.header,
    metadata: {},
    content,
    buffers: [],
  };
}

/** Input history of a kernel session, answering `history_request` (tail, range, search). */

/** One executed cell. */
export interface HistoryEntry {
  /** Session number (one per kernel process). */
  session: number;
  /** Execution count of the cell. */
  line: number;
  /** The cell's source. */
  input: string;
  /** The `text/plain` of its result, if any. */
  output: string | null;
}

/** The fields of a `history_request` this store reads. */
export interface HistoryQuery {
  /** Include outputs: entries become `[session, line, [input, output]]`. */
  output?: boolean;
  /** `tail`, `range` or `search`. */
  hist_access_type: string;
  /** For `range`: the session (0 or negative counts back from the current one). */
  session?: number;
  /** For `range`: first line (inclusive). */
  start?: number;
  /** For `range`: last line (exclusive); for `tail`/`search`: how many entries. */
  stop?: number;
  /** For `tail` and `search`: at most this many (the most recent). */
  n?: number;
  /** For `search`: glob pattern (`*`, `?`) matched against the whole input. */
  pattern?: string;
  /** For `search`: drop repeated inputs, keeping the most recent. */
  unique?: boolean;
}

/** A reply row: `[session, line, input]` or `[session, line, [input, output]]`. */
export type HistoryRow = [number, number, string | [string, string | null]];

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${body}$`);
}

/** In-memory history of this kernel session. */
export class History {
  private readonly entries: HistoryEntry[] = [];

  /** @param session this session's number. */
  constructor(readonly session = 1) {}

  /** Records an executed cell. */
  add(line: number, input: string, output: string | null): void {
    this.entries.push({ session: this.session, line, input, output });
  }

  /** Answers a `history_request`. */
  query(q: HistoryQuery): HistoryRow[] {
    let rows: HistoryEntry[];
    switch (q.hist_access_type) {
      case 'tail':
        rows = this.entries.slice(-(q.n ?? 10));
        break;
      case 'range': {
        const session = q.session === undefined || q.session <= 0 ? this.session + (q.session ?? 0) : q.session;
        const start = q.start ?? 1;
        rows = this.entries.filter((e) => e.session === session && e.line >= start && (q.stop === undefined || q.stop === null || e.line < q.stop));
        break;
      }
      case 'search': {
        const re = globToRegExp(q.pattern ?? '*');
        rows = this.entries.filter((e) => re.test(e.input));
        if (q.unique) {
          const seen = new Set<string>();
          rows = rows.reverse().filter((e) => !seen.has(e.input) && seen.add(e.input)).reverse();
        }
        if (q.n) rows = rows.slice(-q.n);
        break;
      }
      default:
        throw new Error(`Unknown hist_access_type '${q.hist_access_type}'; expected tail, range or search.`);
    }
    return rows.map((e) => [e.session, e.line, q.output ? [e.input, e.output] : e.input]);
  }
}

/**
 * Scalar schedules: one number as a function of the training step, for everything a method
 * anneals — RigL's drop fraction (cosine), a KL weight warm-up (linear), a temperature, a
 * penalty λ, AGP's sparsity (polynomial). One helper so that every method writes and parses
 * them the same way.
 *
 * Shapes, with `t = clip((step − begin)/(end − begin), 0, 1)`:
 * - `constant`: `value`;
 * - `linear`: `from + (to − from)·t`;
 * - `cosine`: `to + (from − to)·(1 + cos πt)/2` (RigL's drop-fraction decay);
 * - `polynomial`: `to + (from − to)·(1 − t)^power` (power 3: Zhu & Gupta's AGP).
 * Before `begin` the value is `from`, after `end` it is `to`.
 */
import { OptionError } from '../errors';

/** A schedule that varies between two steps. */
export interface RampSpec {
  /** Shape of the ramp. */
  kind: 'linear' | 'cosine' | 'polynomial';
  /** Value at and before `begin`. */
  from: number;
  /** Value at and after `end`. */
  to: number;
  /** First step of the ramp (default 0). */
  begin?: number;
  /** Step where `to` is reached (> begin). */
  end: number;
  /** Exponent of `polynomial` (default 3). */
  power?: number;
}

/**
 * A scalar schedule: a number (constant), `{ kind: 'constant', value }`, a {@link RampSpec}, or
 * the same as text: `0.3`, `constant:0.3`, `cosine:0.3:0:0:7500` (kind:from:to:begin:end),
 * `polynomial:0:0.9:0:1000:3` (…:power).
 */
export type ScalarScheduleSpec = number | string | { kind: 'constant'; value: number } | RampSpec;

/** A compiled schedule: the value at a (0-based, global) step, plus a readable description. */
export interface ScalarSchedule {
  (step: number): number;
  /** E.g. `cosine 0.3→0 over steps 0..7500`. */
  readonly description: string;
}

const KINDS = ['constant', 'linear', 'cosine', 'polynomial'] as const;

function finite(x: unknown, what: string, where: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new OptionError(`${where}: ${what} must be a finite number; got ${String(x)}.`, what);
  return x;
}

function parseText(text: string, where: string): ScalarScheduleSpec {
  const parts = text.trim().split(':');
  if (parts.length === 1) return Number(parts[0]);
  const [kind, ...nums] = parts;
  const n = nums.map(Number);
  if (nums.some((x) => x.trim() === '' || !Number.isFinite(Number(x)))) {
    throw new OptionError(`${where}: '${text}' has a part that is not a number; write e.g. cosine:0.3:0:0:7500 (kind:from:to:begin:end).`);
  }
  if (kind === 'constant' && n.length === 1) return { kind, value: n[0] };
  if ((kind === 'linear' || kind === 'cosine') && n.length === 4) return { kind, from: n[0], to: n[1], begin: n[2], end: n[3] };
  if (kind === 'polynomial' && (n.length === 4 || n.length === 5)) return { kind, from: n[0], to: n[1], begin: n[2], end: n[3], ...(n.length === 5 ? { power: n[4] } : {}) };
  throw new OptionError(
    `${where}: cannot read the schedule '${text}'. Write a number (0.3), constant:V, linear|cosine:FROM:TO:BEGIN:END or polynomial:FROM:TO:BEGIN:END[:POWER].`,
  );
}

/**
 * Compiles a scalar schedule.
 *
 * @param spec see {@link ScalarScheduleSpec}.
 * @param where who asks, for error messages (e.g. `rigl: dropFraction`).
 * @throws OptionError for an unknown kind, non-finite values, `end ≤ begin` or a negative step.
 *
 * @example
 * const drop = scalarSchedule({ kind: 'cosine', from: 0.3, to: 0, end: 7500 });
 * drop(0); // 0.3
 * drop(3750); // 0.15
 */
export function scalarSchedule(spec: ScalarScheduleSpec, where = 'scalarSchedule'): ScalarSchedule {
  const s = typeof spec === 'string' ? parseText(spec, where) : spec;
  if (typeof s === 'number') {
    const v = finite(s, 'value', where);
    return Object.assign(() => v, { description: `${v}` });
  }
  if (!s || typeof s !== 'object' || !KINDS.includes(s.kind)) {
    throw new OptionError(`${where}: unknown schedule kind '${(s as { kind?: unknown })?.kind}'. Known kinds: ${KINDS.join(', ')}.`);
  }
  if (s.kind === 'constant') {
    const v = finite(s.value, 'value', where);
    return Object.assign(() => v, { description: `${v}` });
  }
  const from = finite(s.from, 'from', where);
  const to = finite(s.to, 'to', where);
  const begin = finite(s.begin ?? 0, 'begin', where);
  const end = finite(s.end, 'end', where);
  if (begin < 0 || end <= begin) throw new OptionError(`${where}: the ramp needs 0 ≤ begin < end; got begin ${begin}, end ${end}.`);
  const power = finite(s.power ?? 3, 'power', where);
  if (s.kind === 'polynomial' && power <= 0) throw new OptionError(`${where}: power must be > 0; got ${power}.`, 'power');
  const shape: (t: number) => number =
    s.kind === 'linear' ? (t) => from + (to - from) * t
      : s.kind === 'cosine' ? (t) => to + ((from - to) * (1 + Math.cos(Math.PI * t))) / 2
        : (t) => to + (from - to) * Math.pow(1 - t, power);
  const value = (step: number): number => {
    if (!Number.isFinite(step) || step < 0) throw new OptionError(`${where}: step must be a finite number ≥ 0; got ${step}.`);
    return shape(Math.min(1, Math.max(0, (step - begin) / (end - begin))));
  };
  const p = s.kind === 'polynomial' ? `, power ${power}` : '';
  return Object.assign(value, { description: `${s.kind} ${from}→${to} over steps ${begin}..${end}${p}` });
}

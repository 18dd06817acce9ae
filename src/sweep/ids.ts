/**
 * Trial ids: the first 16 hex digits of the SHA-256 of the canonical JSON (keys sorted) of
 * `{ trial, config, version }`, so the same trial of the same prunelab version always has the
 * same id and the store can tell what is already done.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { TrialConfig } from './types';

let cachedVersion: string | undefined;

/** prunelab's version (package.json), part of every trial id. */
export function packageVersion(): string {
  if (cachedVersion === undefined) {
    // build/src/sweep/ids.js → the package root
    const file = path.resolve(__dirname, '..', '..', '..', 'package.json');
    cachedVersion = String((JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: unknown }).version ?? '0.0.0');
  }
  return cachedVersion;
}

/** JSON with object keys sorted at every level (undefined values left out), for hashing. */
export function canonicalJson(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : norm(x)));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined) out[k] = norm(x);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(norm(value));
}

/**
 * The id of a trial.
 *
 * @param trial the trial function as in the (resolved) spec.
 * @param config its resolved configuration.
 * @param version prunelab's version (default: this package's).
 * @returns 16 hex digits.
 */
export function trialId(trial: string, config: TrialConfig, version: string = packageVersion()): string {
  return shortHash({ trial, config, version });
}

/** 16 hex digits of the SHA-256 of a value's canonical JSON: the name of everything a sweep caches by content. */
export function shortHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}


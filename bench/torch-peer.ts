/**
 * How the benchmarks start their PyTorch peer (bench/torch_sparse.py, bench/torch_train.py), and
 * how they report the BLAS it ran on.
 *
 * The peer gets an environment of its own:
 * - without `OPENBLAS_CORETYPE` / `OPENBLAS_L2_SIZE`: these machines set them for old OpenBLAS
 *   builds, and they slow a current one (a 1024³ matmul at about 230 instead of 400 GFLOP/s on
 *   two cores), which would make every PyTorch column flatter prunelab. Only the peer's copy is
 *   changed: tests and prunelab itself keep the environment they were given;
 * - with `OPENBLAS_NUM_THREADS` (and `OMP_NUM_THREADS`) set to the thread count the benchmark
 *   states for the peer, because OpenBLAS's pthread build otherwise starts one thread per core
 *   whatever `torch.set_num_threads` says.
 */
import { spawnSync, type SpawnSyncReturns } from 'child_process';
import * as path from 'path';

/** OpenBLAS tuning variables set on these machines for old builds; removed for the peer only. */
export const STALE_OPENBLAS_VARS = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'] as const;

/** The Python the peers run with (Debian's, which has python3-torch). */
export const PEER_PYTHON = '/usr/bin/python3';

/** What a peer reports about its BLAS (bench/peer_blas.py's `blas_info`). */
export interface PeerBlas {
  /** Path of the BLAS library mapped into the peer (symlinks resolved), or null when none is (statically linked). */
  library: string | null;
  /** Its kind: `OpenBLAS`, `reference BLAS (netlib, unoptimised)`, `Intel MKL`, ...; null when no library was found. */
  name: string | null;
  /** OpenBLAS's build string (version, core type, threading), when the library is OpenBLAS. */
  openblas_config: string | null;
  /** Threads OpenBLAS itself uses, when it says. */
  blas_threads: number | null;
  /** `torch.get_num_threads()` in the peer. */
  torch_threads: number | null;
  /** The BLAS torch was built against (`BLAS_INFO` of `torch.__config__.show()`), e.g. `open`, `mkl`. */
  torch_build_blas: string | null;
  /** The stale OpenBLAS variables as the peer saw them (null = unset, as intended). */
  stale_env: Record<string, string | null>;
}

/**
 * The peer's environment: a copy of `base` without {@link STALE_OPENBLAS_VARS}, with the BLAS
 * and OpenMP thread counts set to `threads`. `base` itself is left untouched.
 */
export function torchPeerEnv(threads: number, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (!(Number.isInteger(threads) && threads > 0)) throw new Error(`torchPeerEnv: threads must be a positive integer; got ${threads}.`);
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of STALE_OPENBLAS_VARS) delete env[name];
  env.OPENBLAS_NUM_THREADS = String(threads);
  env.OMP_NUM_THREADS = String(threads);
  return env;
}

/** The directory of the Python peers (bench/ in the repository; this module runs from build/bench). */
export function benchSourceDir(): string {
  return path.resolve(__dirname, '..', '..', 'bench');
}

/**
 * Runs `bench/<script>` with {@link PEER_PYTHON} in the peer's own environment
 * ({@link torchPeerEnv}).
 */
export function runTorchPeer(script: string, args: string[], threads: number, maxBuffer = 1 << 24): SpawnSyncReturns<string> {
  return spawnSync(PEER_PYTHON, [path.join(benchSourceDir(), script), ...args], {
    env: torchPeerEnv(threads),
    encoding: 'utf8',
    maxBuffer,
  });
}

/**
 * One line saying which BLAS and how many threads the peer used, with a warning when the
 * comparison is unfair (reference BLAS, or a stale OpenBLAS variable that reached it).
 */
export function describePeerBlas(blas: PeerBlas | undefined): string {
  if (!blas) return 'PyTorch peer BLAS: not reported (an older peer script?)';
  const threads = `torch threads ${blas.torch_threads ?? '?'}, BLAS threads ${blas.blas_threads ?? 'not reported'}`;
  const lib = blas.library
    ? `${blas.name} (${blas.library}${blas.openblas_config ? `; ${blas.openblas_config}` : ''})`
    : `no shared BLAS library loaded (torch built with BLAS_INFO=${blas.torch_build_blas ?? '?'}, linked in)`;
  const warnings: string[] = [];
  if (blas.name?.startsWith('reference')) {
    warnings.push('the reference BLAS is ~30x slower than an optimised one; install libopenblas0-pthread (scripts/setup.sh --with-torch)');
  }
  const stale = Object.entries(blas.stale_env ?? {}).filter(([, v]) => v !== null);
  if (stale.length) warnings.push(`the peer saw ${stale.map(([k, v]) => `${k}=${v}`).join(', ')}, which slows a current OpenBLAS`);
  return `PyTorch peer BLAS: ${lib}; ${threads}${warnings.map((w) => `\n  WARNING: ${w}`).join('')}`;
}

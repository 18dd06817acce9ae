/**
 * Greedy pairwise merging (Srinivas & Babu 2015; the data-driven variant regresses one unit's
 * output on another's): repeatedly remove the unit j whose best merge into a surviving unit i
 * costs least, where the cost is `weight(j) · distance(i, j)` — the fan-out size of j times how
 * badly i stands in for j. After a merge, i's fan-out holds j's, so its weight changes; the
 * distances do not (they depend on the producer side only).
 */

/** One greedy problem over n units. */
export interface GreedyMergeProblem {
  /** Units. */
  n: number;
  /** Units taking part (alive before the call). */
  live: readonly boolean[];
  /** Cost factor of replacing unit j by unit i (≥ 0; row i, column j: `d[i·n + j]`). */
  distance: Float64Array;
  /** Weight of unit j's fan-out (recomputed for the receiver after each merge). */
  weight(j: number): number;
  /** Performs the merge of j into i (the problem's owner updates its fan-outs). */
  merge(j: number, i: number): void;
}

/** One step of the greedy sequence. */
export interface MergeStep {
  /** The removed unit. */
  removed: number;
  /** The unit it was merged into (−1: no unit was left, it was folded or dropped). */
  into: number;
  /** Its cost when it was chosen. */
  saliency: number;
}

/**
 * Runs the greedy merge for `steps` steps, removing only units in `donors` (all live units when
 * undefined). Ties go to the lower index, so the sequence is deterministic.
 */
export function greedyMerge(p: GreedyMergeProblem, steps: number, donors?: ReadonlySet<number>): MergeStep[] {
  const { n, distance } = p;
  const alive = Array.from(p.live);
  const weight = Float64Array.from({ length: n }, (_, j) => (alive[j] ? p.weight(j) : 0));
  const best = new Int32Array(n).fill(-1);
  const bestD = new Float64Array(n).fill(Infinity);
  const findBest = (j: number) => {
    best[j] = -1;
    bestD[j] = Infinity;
    for (let i = 0; i < n; i++) {
      if (i === j || !alive[i]) continue;
      const d = distance[i * n + j];
      if (d < bestD[j]) {
        bestD[j] = d;
        best[j] = i;
      }
    }
  };
  const isDonor = (j: number) => alive[j] && (!donors || donors.has(j));
  for (let j = 0; j < n; j++) if (isDonor(j)) findBest(j);
  const out: MergeStep[] = [];
  for (let step = 0; step < steps; step++) {
    let pick = -1, pickS = Infinity;
    for (let j = 0; j < n; j++) {
      if (!isDonor(j)) continue;
      const s = best[j] < 0 ? Infinity : weight[j] * bestD[j];
      if (pick < 0 || s < pickS) {
        pick = j;
        pickS = s;
      }
    }
    if (pick < 0) break;
    const into = best[pick];
    alive[pick] = false;
    if (into >= 0) {
      p.merge(pick, into);
      weight[into] = p.weight(into);
    } else p.merge(pick, -1);
    out.push({ removed: pick, into, saliency: pickS });
    for (let j = 0; j < n; j++) if (isDonor(j) && best[j] === pick) findBest(j);
  }
  return out;
}

/**
 * Keep scores from a full greedy sequence: a unit's score is the largest saliency up to its
 * removal (so scores rise along the sequence and the k lowest are the first k removed); the
 * unit never removed scores above all; units not live score 0.
 */
export function scoresFromSequence(n: number, live: readonly boolean[], seq: readonly MergeStep[]): Float64Array {
  const scores = new Float64Array(n);
  let running = 0;
  const removed = new Set<number>();
  for (const s of seq) {
    running = Math.max(running, Number.isFinite(s.saliency) ? s.saliency : running);
    scores[s.removed] = running;
    removed.add(s.removed);
  }
  const top = running * 2 + 1;
  for (let j = 0; j < n; j++) if (live[j] && !removed.has(j)) scores[j] = top;
  return scores;
}

/**
 * Fixes the order of tfjs-core's gradient tape so that second-order gradients through kernels
 * that save their *outputs* are right.
 *
 * The bug (tfjs-core 4.22, engine.runKernelFunc): tensors a gradient needs are saved as clones,
 * and each clone is recorded on the tape as a node `output → clone`. The clones are recorded
 * *before* the node of the kernel that produced the output. getFilteredNodesXToY walks the tape
 * once, in order, to find what depends on x; when it meets the clone node, the output is not yet
 * known to depend on x, so the clone — and every backward op that uses it — is cut off.
 * Gradients that use saved outputs (exp, tanh, sigmoid, softmax, sqrt, logSoftmax and
 * softmaxCrossEntropy via customGrad, …) then contribute nothing to a second derivative: a
 * Hessian-vector product is silently wrong (or "Cannot compute gradient of y=f(x)"). First-order
 * gradients are unaffected.
 *
 * The fix wraps the engine's addTapeNode: after a kernel's node is pushed, the clone nodes of its
 * saved tensors, which sit just before it, are moved after it. They have no other consumers in
 * the forward pass, so this only restores a valid topological order.
 */
import * as tf from '@tensorflow/tfjs';
import { InternalError } from '../../errors';

/** A tape node as tfjs-core records it (only the fields used here). */
interface TapeNode {
  outputs: tf.Tensor[];
}

/** The engine internals the fix touches. */
interface EngineInternals {
  addTapeNode(kernelName: string, inputs: unknown, outputs: tf.Tensor[], gradientsFunc: unknown, saved: tf.Tensor[], attrs: unknown): void;
  state: { activeTape: TapeNode[] | null };
  __prunelabTapeOrderFix?: boolean;
}

/** How far back to look for the clone nodes of a kernel's saved tensors. */
const LOOKBACK = 64;

/**
 * Installs the tape-order fix on tfjs's engine. Idempotent.
 *
 * @returns true when this call installed it, false when it was already installed.
 */
export function installTapeOrderFix(): boolean {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.__prunelabTapeOrderFix) return false;
  const original = engine.addTapeNode;
  if (typeof original !== 'function' || !('state' in engine)) {
    throw new InternalError(
      `prunelab: tfjs-core ${tf.version_core} has no engine.addTapeNode; the higher-order ` +
        `gradient fix in src/backend/gradients/tape-order-fix.ts must be revisited for this version.`,
    );
  }
  engine.addTapeNode = function (this: EngineInternals, kernelName, inputs, outputs, gradientsFunc, saved, attrs) {
    original.call(this, kernelName, inputs, outputs, gradientsFunc, saved, attrs);
    const tape = this.state.activeTape;
    if (!tape || !saved || saved.length === 0) return;
    const savedIds = new Set(saved.map((t) => t.id));
    const node = tape[tape.length - 1];
    const moved: TapeNode[] = [];
    const stop = Math.max(0, tape.length - 1 - LOOKBACK);
    for (let i = tape.length - 2; i >= stop && moved.length < savedIds.size; i--) {
      const candidate = tape[i];
      if (candidate.outputs.length === 1 && savedIds.has(candidate.outputs[0].id)) {
        tape.splice(i, 1);
        moved.unshift(candidate);
      }
    }
    if (moved.length > 0) {
      // node is now last again (only earlier entries were removed); re-append the clones after it.
      tape.splice(tape.indexOf(node) + 1, 0, ...moved);
    }
  };
  engine.__prunelabTapeOrderFix = true;
  return true;
}

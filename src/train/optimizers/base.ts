/**
 * Shared machinery of the built-in optimizers: lazily created slot variables per weight, mask
 * enforcement on weights and slots, slot reset for regrown weights, disposal.
 */
import * as tf from '@tensorflow/tfjs';
import type { ParamUpdate, TrainOptimizer } from '../types';
import { OptionError, ShapeError, UserError } from '../../errors';

/** Per-variable optimizer state. */
interface VariableState {
  /** Slot variables by slot name, each of the weight's shape. */
  slots: Map<string, tf.Variable>;
  /** Number of updates applied to this variable (PyTorch's per-parameter `state['step']`). */
  step: number;
}

/** Base class: a subclass names its slots and computes one variable's step. */
export abstract class SlotOptimizerBase implements TrainOptimizer {
  abstract readonly name: string;
  /** Names of the per-weight slots, e.g. `['m', 'v']`; empty for plain SGD. */
  protected abstract readonly slotNames: readonly string[];
  private readonly state = new Map<string, VariableState>();
  private readonly aliases = new Map<string, string>();
  private disposed = false;

  /**
   * Updates the slots of one variable in place and returns the amount to subtract from the
   * weights (learning rate included). Runs inside `tf.tidy`.
   *
   * @param gradient the (masked) gradient.
   * @param slots this variable's slots.
   * @param learningRate the step's learning rate.
   * @param step 1-based count of updates of this variable, including this one.
   */
  protected abstract computeStep(
    gradient: tf.Tensor,
    slots: Map<string, tf.Variable>,
    learningRate: number,
    step: number,
  ): tf.Tensor;

  /** {@inheritDoc TrainOptimizer.applyGradients} */
  applyGradients(updates: ParamUpdate[], learningRate: number): void {
    if (this.disposed) throw new UserError(`The ${this.name} optimizer was disposed; create a new one.`);
    if (!Number.isFinite(learningRate) || learningRate < 0) {
      throw new OptionError(`${this.name}: learning rate must be a finite number ≥ 0, got ${learningRate}.`, 'learningRate');
    }
    tf.tidy(() => {
      for (const u of updates) {
        const state = this.stateFor(u);
        if (u.mask && u.maskChanged) {
          // Newly masked positions may hold momentum from before; zero it so it cannot revive them.
          for (const slot of state.slots.values()) slot.assign(tf.mul(slot, u.mask));
        }
        state.step += 1;
        const delta = this.computeStep(u.gradient, state.slots, learningRate, state.step);
        const decayed = u.decayFactor !== undefined && u.decayFactor !== 1 ? tf.mul(u.variable, u.decayFactor) : u.variable;
        let next = tf.sub(decayed, delta);
        // Re-applying the mask makes masked weights exactly 0 whatever the update did.
        if (u.mask) next = tf.mul(next, u.mask);
        u.variable.assign(next);
      }
    });
  }

  /** {@inheritDoc SlotOptimizer.resetSlots} */
  resetSlots(variableName: string, where: tf.Tensor): void {
    const state = this.state.get(this.resolve(variableName));
    if (!state) return; // never updated: its slots are implicitly zero
    for (const [slotName, slot] of state.slots) {
      if (!tf.util.arraysEqual(slot.shape, where.shape)) {
        throw new ShapeError(
          `resetSlots('${variableName}'): 'where' has shape [${where.shape}], but slot '${slotName}' has shape [${slot.shape}].`,
        );
      }
      tf.tidy(() => slot.assign(tf.mul(slot, tf.sub(1, tf.cast(where, 'float32')))));
    }
  }

  /** {@inheritDoc SlotOptimizer.slots} */
  slots(variableName: string): ReadonlyMap<string, tf.Tensor> {
    return this.state.get(this.resolve(variableName))?.slots ?? new Map();
  }

  /** Number of updates applied so far to the named variable (0 if never updated). */
  stepCount(variableName: string): number {
    return this.state.get(this.resolve(variableName))?.step ?? 0;
  }

  /** {@inheritDoc TrainOptimizer.dispose} */
  dispose(): void {
    for (const s of this.state.values()) for (const slot of s.slots.values()) slot.dispose();
    this.state.clear();
    this.aliases.clear();
    this.disposed = true;
  }

  private resolve(name: string): string {
    return this.state.has(name) ? name : (this.aliases.get(name) ?? name);
  }

  private stateFor(u: ParamUpdate): VariableState {
    let state = this.state.get(u.name);
    if (!state) {
      const slots = new Map<string, tf.Variable>();
      for (const s of this.slotNames) slots.set(s, tf.variable(tf.zerosLike(u.variable), false));
      state = { slots, step: 0 };
      this.state.set(u.name, state);
      for (const a of u.aliases ?? []) if (a !== u.name) this.aliases.set(a, u.name);
    } else {
      const first = state.slots.values().next().value as tf.Variable | undefined;
      if (first && !tf.util.arraysEqual(first.shape, u.variable.shape)) {
        throw new ShapeError(
          `${this.name}: variable '${u.name}' now has shape [${u.variable.shape}] but its optimizer slots have ` +
            `[${first.shape}]. Use a fresh optimizer for a different model.`,
        );
      }
    }
    return state;
  }
}

/** Checks a hyperparameter lies in a range, with an error naming it. */
export function checkRange(owner: string, name: string, value: number, lo: number, hi: number, hiOpen = true): number {
  if (!Number.isFinite(value) || value < lo || (hiOpen ? value >= hi : value > hi)) {
    throw new OptionError(`${owner}: ${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${value}.`, name);
  }
  return value;
}

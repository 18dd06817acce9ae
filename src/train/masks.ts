/**
 * Binds the masks of a `MaskSource` to the model's variables and notices when a mask changes
 * (a new tensor, or a variable mask re-assigned), so that weights and optimizer slots are masked
 * exactly when needed.
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError, UserError } from '../errors';
import type { MaskSource } from './types';

/** A trainable weight of the model as the loop sees it. */
export interface Param {
  /** Unique variable name (e.g. `fc1/kernel_1` for a second model). */
  name: string;
  /** The layer-scoped name (e.g. `fc1/kernel`); masks may be keyed by either. */
  originalName: string;
  /** The variable. */
  variable: tf.Variable;
}

/** A mask bound to a parameter for one step. */
export interface BoundMask {
  /** float32 0/1 mask of the parameter's shape. */
  mask: tf.Tensor;
  /** True when this mask differs from the one bound at the previous step. */
  changed: boolean;
}

/** Tracks masks across steps; dispose at the end of training. */
export class MaskBinder {
  private readonly byName = new Map<string, Param>();
  /** Per parameter: the data id of the user's mask last seen, and our float32 copy if we cast it. */
  private readonly seen = new Map<string, { dataId: object; mask: tf.Tensor; owned: boolean }>();

  /**
   * @param source the mask source (may be undefined: no masks).
   * @param params the model's trainable weights.
   */
  constructor(private readonly source: MaskSource | undefined, private readonly params: Param[]) {
    for (const p of params) this.byName.set(p.name, p);
    for (const p of params) if (!this.byName.has(p.originalName)) this.byName.set(p.originalName, p);
  }

  /**
   * Reads the current masks and binds them to parameters.
   *
   * @param where step description for error messages.
   * @returns masks by parameter (unique) name.
   * @throws for a mask naming no weight of the model, or of the wrong shape.
   */
  bind(where: string): Map<string, BoundMask> {
    const out = new Map<string, BoundMask>();
    if (!this.source) return out;
    const masks = this.source.currentMasks();
    if (!masks || typeof (masks as Map<string, tf.Tensor>)[Symbol.iterator] !== 'function') {
      throw new UserError(`${where}: currentMasks() must return a Map from weight name to mask tensor.`);
    }
    const present = new Set<string>();
    for (const [key, mask] of masks) {
      const p = this.byName.get(key);
      if (!p) {
        throw new UserError(
          `${where}: the mask source has a mask for '${key}', which is not a trainable weight of the model. ` +
            `Trainable weights: ${this.params.map((q) => q.originalName).join(', ')}.`,
        );
      }
      if (mask.isDisposed) throw new UserError(`${where}: the mask for '${key}' was disposed.`);
      present.add(p.name);
      const dataId = (mask as unknown as { dataId: object }).dataId;
      const prev = this.seen.get(p.name);
      if (prev && prev.dataId === dataId) {
        out.set(p.name, { mask: prev.mask, changed: false });
        continue;
      }
      if (!tf.util.arraysEqual(mask.shape, p.variable.shape)) {
        throw new ShapeError(`${where}: the mask for '${key}' has shape [${mask.shape}] but the weight has shape [${p.variable.shape}].`);
      }
      if (prev?.owned) prev.mask.dispose();
      const owned = mask.dtype !== 'float32';
      const m = owned ? tf.cast(mask, 'float32') : mask;
      this.seen.set(p.name, { dataId, mask: m, owned });
      out.set(p.name, { mask: m, changed: true });
    }
    for (const [name, prev] of this.seen) {
      if (!present.has(name)) {
        if (prev.owned) prev.mask.dispose();
        this.seen.delete(name);
      }
    }
    return out;
  }

  /**
   * Checks the current masks (names and shapes) without recording them, so the first step still
   * sees them as new and applies them.
   *
   * @param where description for error messages.
   */
  validate(where: string): void {
    if (!this.source) return;
    for (const [key, mask] of this.source.currentMasks()) {
      const p = this.byName.get(key);
      if (!p) {
        throw new UserError(
          `${where}: the mask source has a mask for '${key}', which is not a trainable weight of the model. ` +
            `Trainable weights: ${this.params.map((q) => q.originalName).join(', ')}.`,
        );
      }
      if (!tf.util.arraysEqual(mask.shape, p.variable.shape)) {
        throw new ShapeError(`${where}: the mask for '${key}' has shape [${mask.shape}] but the weight has shape [${p.variable.shape}].`);
      }
    }
  }

  /** Frees the float32 copies made of non-float masks. */
  dispose(): void {
    for (const prev of this.seen.values()) if (prev.owned) prev.mask.dispose();
    this.seen.clear();
  }
}

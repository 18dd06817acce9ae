/** Options and registry types of the model zoo. */
import type * as tf from '@tensorflow/tfjs';

/** Activation names accepted by the model builders (a subset of tfjs-layers activations). */
export type HiddenActivation = 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'selu' | 'linear';

/** Options every registered model factory accepts. */
export interface ModelOptions {
  /**
   * Seed of all initialisers (each gets its own seed derived from this one), so the same seed
   * gives bit-identical initial weights. Default 0.
   */
  seed?: number;
  /**
   * Shape of one input example without the batch dimension, e.g. `[784]` or `[28, 28, 1]`.
   * Each model documents its default and which shapes it accepts (a flat MLP adds a Flatten
   * layer for image-shaped input; a CNN adds a Reshape layer for flat input of the right size).
   */
  inputShape?: number[];
  /** Number of output classes (units of the final, linear layer). Default 10. */
  classes?: number;
  /** Hidden layer widths, used by the generic `mlp` entry only. */
  hidden?: number[];
  /** Hidden activation, used by the generic `mlp` entry only. Default `relu`. */
  activation?: HiddenActivation;
}

/** Builds a fresh, uncompiled model. */
export type ModelFactory = (options: ModelOptions) => tf.LayersModel;

/** A model registry entry. */
export interface ModelEntry {
  /** Registry name, e.g. `lenet-300-100`. */
  name: string;
  /** One-line description for listings. */
  description: string;
  /** Default input shape when the caller gives none. */
  defaultInputShape: number[];
  /** The builder. */
  create: ModelFactory;
}

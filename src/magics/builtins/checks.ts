/** Checks of variable arguments shared by the magics. */
import * as tf from '@tensorflow/tfjs';
import type { Dataset, Examples } from '../../data/core';
import { MaskedModel } from '../../prune';

/** What a value is, for messages (`a Dataset`, `a number`, `undefined`). */
export function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (v instanceof tf.LayersModel) return 'a model';
  if (isDataset(v)) return 'a Dataset';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'object'}`;
  return `a ${typeof v}`;
}

/** True for a tf.LayersModel or a MaskedModel. */
export function isModel(v: unknown): v is tf.LayersModel | MaskedModel {
  return v instanceof tf.LayersModel || v instanceof MaskedModel;
}

/** The tf.LayersModel of a model argument. */
export function modelOf(v: tf.LayersModel | MaskedModel): tf.LayersModel {
  return v instanceof MaskedModel ? v.model : v;
}

/** `check` for model arguments. */
export function checkModel(v: unknown): string | undefined {
  return isModel(v) ? undefined : `is ${describe(v)}, not a model (create one with %model or pl.createModel).`;
}

function isExamples(v: unknown): v is Examples {
  return !!v && typeof v === 'object' && (v as Examples).x instanceof Float32Array && (v as Examples).y instanceof Int32Array;
}

/** True for a Dataset (`train` and `test` examples). */
export function isDataset(v: unknown): v is Dataset {
  return !!v && typeof v === 'object' && isExamples((v as Dataset).train) && isExamples((v as Dataset).test);
}

/** `check` for dataset arguments. */
export function checkDataset(v: unknown): string | undefined {
  return isDataset(v) ? undefined : `is ${describe(v)}, not a Dataset (load one with %data or pl.loadDataset).`;
}

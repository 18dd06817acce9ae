/**
 * Unit links: which layer reads the output units of a kernel layer, and through which rows of
 * its kernel. Data-driven neuron methods remove a unit j of a producer layer P (a Dense neuron
 * or a Conv2D filter) and move what it carried into the consumer layer Q, the next kernel
 * layer: into Q's bias (folding its mean) or into the rows of a kept unit (merging).
 *
 * Between P and Q only layers that act per unit may sit (activations, dropout, pooling,
 * flatten), so unit j of P is read by the rows `s·U + j` of Q's kernel seen as a matrix
 * `[inner, out]` (U = P's units, s = 0 … inner/U − 1): row j of a Dense kernel, rows of every
 * spatial position after Flatten (channels-last order), input channel j of every tap of a
 * Conv2D kernel `[kh, kw, U, out]`. The same convention as `shrinkModel`.
 */
import * as tf from '@tensorflow/tfjs';
import { OptionError } from '../../errors';
import { MaskedModel } from '../masked-model';
import { variableName, type PrunableWeight } from '../targets';

/** How the consumer reads the producer's units. */
export type LinkKind = 'dense' | 'conv' | 'flatten';

/** A producer kernel layer, the kernel layer that consumes its units, and how. */
export interface UnitLink {
  /** The producer's kernel (units = its last axis). */
  producer: PrunableWeight;
  /** The consumer's kernel. */
  consumer: PrunableWeight;
  /** Name of the consumer's bias variable (folding writes it), or undefined when it has none. */
  consumerBias?: string;
  /** Name of the producer's bias variable, or undefined when it has none. */
  producerBias?: string;
  /** `dense`: Dense reads Dense; `conv`: Conv2D reads the (pooled) maps; `flatten`: Dense reads the flattened maps. */
  kind: LinkKind;
  /** Output units of the producer (U). */
  units: number;
  /** Rows of the consumer's kernel per unit (1, kh·kw, or the flattened positions). */
  rowsPerUnit: number;
  /** Output units of the consumer (columns of its kernel as a matrix). */
  outputs: number;
  /**
   * Whether replacing a constant unit by a bias is exact: false for a Conv2D consumer with
   * zero padding, whose border outputs see fewer copies of the constant.
   */
  exactFold: boolean;
  /** Names of the layers between producer and consumer (activations, pooling, flatten). */
  between: string[];
}

/** Layers that act on each unit (channel) separately, so a unit stays a unit through them. */
const PER_UNIT = new Set([
  'Dropout', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout',
  'MaxPooling2D', 'AveragePooling2D', 'Flatten', 'SpatialDropout2D',
]);

function consumersOf(model: tf.LayersModel, layer: tf.layers.Layer): tf.layers.Layer[] {
  return model.layers.filter((l) => {
    try {
      return ([] as unknown[]).concat(l.input as unknown).includes(layer.output);
    } catch {
      return false; // a layer not connected in this model
    }
  });
}

function biasName(layer: tf.layers.Layer): string | undefined {
  const b = layer.weights.find((v) => (v.originalName ?? v.name).endsWith('/bias'));
  return b ? variableName(b) : undefined;
}

/**
 * The link from `producer` to the kernel layer that reads its units, or a sentence saying why
 * there is none (the model's output, a branch, a layer that mixes units).
 */
export function findLink(masked: MaskedModel, producer: PrunableWeight): UnitLink | string {
  if (producer.layerType !== 'Dense' && producer.layerType !== 'Conv2D') return `${producer.layerName} is a ${producer.layerType}; only Dense and Conv2D units are supported`;
  const between: tf.layers.Layer[] = [];
  let at: tf.layers.Layer = producer.layer;
  for (;;) {
    const next = consumersOf(masked.model, at);
    if (next.length === 0) return `${producer.layerName} feeds no Dense or Conv2D layer (its units are the model's outputs)`;
    if (next.length > 1) return `${at.name} feeds ${next.length} layers (${next.map((l) => l.name).join(', ')}); only chains are supported`;
    const c = next[0];
    const cls = c.getClassName();
    if (cls === 'Dense' || cls === 'Conv2D') {
      const consumer = masked.prunableWeights().find((w) => w.layer === c);
      if (!consumer) return `${c.name} has no prunable kernel`;
      const flattened = between.some((l) => l.getClassName() === 'Flatten');
      const kind: LinkKind = cls === 'Conv2D' ? 'conv' : flattened || producer.layerType === 'Conv2D' ? 'flatten' : 'dense';
      if (producer.layerType === 'Conv2D' && cls === 'Dense' && !flattened) return `${c.name} reads ${producer.layerName}'s maps without a Flatten`;
      const outputs = consumer.shape[consumer.shape.length - 1];
      const inner = consumer.size / outputs;
      const units = producer.shape[producer.shape.length - 1];
      if (inner % units !== 0) return `${c.name}'s kernel [${consumer.shape}] does not read ${units} units`;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const padding = cls === 'Conv2D' ? (c.getConfig() as any).padding : 'valid';
      return {
        producer, consumer, kind, units, outputs, rowsPerUnit: inner / units,
        consumerBias: biasName(c), producerBias: biasName(producer.layer),
        exactFold: padding === 'valid', between: between.map((l) => l.name),
      };
    }
    if (!PER_UNIT.has(cls)) return `${c.name} (${cls}) between ${producer.layerName} and the next kernel layer mixes units`;
    between.push(c);
    at = c;
  }
}

/**
 * The links of `targets`, in target order.
 * @throws OptionError naming every target without a link and how to leave it out.
 */
export function linksOf(masked: MaskedModel, targets: readonly PrunableWeight[], method: string): UnitLink[] {
  const found = targets.map((t) => findLink(masked, t));
  const bad = targets.filter((_, i) => typeof found[i] === 'string');
  if (bad.length) {
    const why = found.filter((f): f is string => typeof f === 'string').join('; ');
    const last = bad.length === 1 && bad[0].name === masked.prunableWeights().at(-1)?.name;
    throw new OptionError(
      `${method}: cannot remove units of ${bad.map((t) => t.layerName).join(', ')}: ${why}. ` +
        `${last ? 'Leave the classifier dense (keepLastDense: true, --keep-last-dense)' : `Exclude ${bad.length === 1 ? 'it' : 'them'} (exclude: [${bad.map((t) => `'${t.layerName}'`).join(', ')}])`}. The model was not changed.`,
      last ? 'keepLastDense' : 'exclude',
    );
  }
  return found as UnitLink[];
}

/** The rows of the consumer's kernel (as `[inner, out]`) that read unit `j`. */
export function rowsOf(link: UnitLink, j: number): number[] {
  return Array.from({ length: link.rowsPerUnit }, (_, s) => s * link.units + j);
}

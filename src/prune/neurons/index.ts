/**
 * Shared machinery of the data-driven neuron methods (method family 1): which layer reads a
 * layer's units (`links`), their output statistics (`statistics`), moving a removed unit into
 * the next layer (`consumer-edit`: drop, fold, merge), greedy pairwise merging, the trim–retrain
 * protocol, and inspection helpers. The methods themselves are in ../methods/.
 */
export { findLink, linksOf, type LinkKind, type UnitLink } from './links';
export { unitStatistics, type UnitStatistics } from './statistics';
export { liveUnitCounts, neuronStatistics, type NeuronLayerStatistics } from './inspect';
export { trimAndRetrain, type TrimRetrainOptions, type TrimRound } from './trim-retrain';
export {
  activationLayers, activationSparsity, sparseActivationSpeedup, TopKActivation, withTopKActivations,
  type ActivationSparsityLayer, type ActivationSpeedup, type TopKActivationArgs,
} from './activations';
import './updates'; // fold-units, drop-units

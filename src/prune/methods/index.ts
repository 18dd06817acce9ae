/**
 * The built-in pruning methods, one file each; importing this module registers them. To add
 * one, see README.md in this folder.
 */
import '../prune'; // the core first: its option names are reserved before any method registers
import './magnitude';
import './random';
export * from './reconstruct';
export * from './fold-constant';
export * from './set';
export * from './learned-threshold';
// family 1: data-driven neuron pruning (issue 13)
export * from './variance';
export * from './apoz';
export * from './mean-activation';
export * from './data-free-merge';
export * from './neuron-merging';
export * from './correlation-merge';
export * from './unit-norm';
export * from './random-units';
// Family 2: second-order pruning (OBD, OBS, L-OBS, WoodFisher)
export * from './obd';
export * from './obs';
export * from './l-obs';
export * from './woodfisher';
// family 3: sparsity learned by regularization (issue 15)
export * from './penalty';
export * from './ltp';
export * from './l0';
export * from './sparse-vd';
export * from '../regularization';
// Family 4: sparse networks from the start (pruning at initialization, static and dynamic sparse training)
export * from './snip';
export * from './grasp';
export * from './static';
export * from './rigl';

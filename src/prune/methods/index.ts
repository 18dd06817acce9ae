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
// family 3: sparsity learned by regularization (issue 15)
export * from './penalty';
export * from './ltp';
export * from './l0';
export * from './sparse-vd';
export * from '../regularization';

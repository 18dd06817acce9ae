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
// Family 4: sparse networks from the start (pruning at initialization, static and dynamic sparse training)
export * from './snip';
export * from './grasp';
export * from './static';
export * from './rigl';

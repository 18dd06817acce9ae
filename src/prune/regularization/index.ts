/** Shared pieces of the regularization methods (penalty, ltp, l0, sparse-vd). */
export * from './hard-concrete';
export * from './variational';
export * from './proximal';
export * from './noise';

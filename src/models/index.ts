/** Model zoo: LeNet-300-100, LeNet-5-Caffe, a small VGG and a generic MLP builder, plus a registry. */
export { createModel, listModels, registerModel, unregisterModel } from './registry';
export { mlp } from './mlp';
export type { MlpOptions } from './mlp';
export { lenet300100 } from './lenet300';
export { lenet5Caffe } from './lenet5';
export { vggSmall } from './vgg';
export { deriveSeed } from './seeds';
export type { HiddenActivation, ModelEntry, ModelFactory, ModelOptions } from './types';

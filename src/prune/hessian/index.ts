/** Second-order machinery shared by OBD, OBS, L-OBS and WoodFisher: float64 linear algebra, curvature, layer inputs. */
export * from './linalg';
export * from './curvature';
export { denseChainLayers, denseChainPass, outputCurvatureDiagonal } from './dense-chain';
export type { ChainLayer, ChainLayerPass } from './dense-chain';

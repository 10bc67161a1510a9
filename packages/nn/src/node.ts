// @jacobi/nn/node: model files on disk. The only part of the package that imports Node APIs.
export { saveModel, loadModel, readSafetensors, writeSafetensors, writeFileAtomic } from './io/node-files.js';

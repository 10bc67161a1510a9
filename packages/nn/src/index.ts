// @jacobi/nn: layers, losses, initialisers, optimisers, data helpers and model files on top of
// @jacobi/tensor. Browser-safe; the Node file helpers are in the separate entry '@jacobi/nn/node'.
export { Module, checkStateDict } from './module.js';
export { Dense } from './dense.js';
export type { DenseOptions } from './dense.js';
export { Sequential, Lambda } from './sequential.js';
export type { Layer } from './sequential.js';
export { activations, identity, sigmoid, tanh, relu, leakyRelu, gelu, softmax, resolveActivation } from './activations.js';
export type { Activation, ActivationName } from './activations.js';
export { halfSquaredError, mse, softmaxCrossEntropy, binaryCrossEntropy } from './losses.js';
export type { Reduction, LossOptions, BinaryCrossEntropyOptions } from './losses.js';
export {
  initializers,
  glorotUniform,
  glorotNormal,
  heUniform,
  heNormal,
  zerosInit,
  constant,
  fans,
  resolveInitializer,
} from './init.js';
export type { Initializer, InitializerName } from './init.js';
export { Optimizer } from './optim/optimizer.js';
export type { OptimizerState, HyperParameters, HyperRule, HyperSchema, Update } from './optim/optimizer.js';
export { SGD } from './optim/sgd.js';
export type { SGDOptions } from './optim/sgd.js';
export { Adam, AdamW } from './optim/adam.js';
export type { AdamOptions } from './optim/adam.js';
export { accuracy } from './metrics.js';
export { oneHot, takeRows, permutation, trainTestSplit, Standardizer, miniBatches } from './data.js';
export type { SplitOptions, Split, BatchOptions } from './data.js';
export { trainStep, trainEpoch, predict, fit } from './train.js';
export type { LossFunction, GradientMode, EpochOptions, FitOptions } from './train.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export type { SafetensorsContents, SafetensorsDType } from './io/safetensors.js';
export { encodeModel, decodeModel, OPTIMIZER_PREFIX } from './io/model-file.js';
export type { SaveOptions, LoadOptions } from './io/model-file.js';
export { ModelFileError } from './errors.js';
export type { ModelFileLocation } from './errors.js';
export { crossEntropy, nllLoss } from './class-losses.js';
export type { CrossEntropyOptions, NllLossOptions } from './class-losses.js';
export { huberLoss, smoothL1Loss, klDiv } from './losses.js';
export type { HuberLossOptions, SmoothL1LossOptions, KlDivOptions, KlDivReduction } from './losses.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export type { ClipGradNormOptions } from './clip.js';
export { LRScheduler, StepLR, CosineAnnealingLR, LinearLR, SequentialLR, ChainedScheduler } from './optim/schedulers.js';
export type { LearningRateOwner, StepLROptions, CosineAnnealingLROptions, LinearLROptions } from './optim/schedulers.js';

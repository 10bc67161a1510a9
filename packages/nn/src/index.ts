// @jacobi/nn: layers, losses, initialisers, optimisers, data helpers and model files on top of
// @jacobi/tensor. Browser-safe; the Node file helpers are in the separate entry '@jacobi/nn/node'.
export { Module, checkStateDict } from './module.js';
// The functional style over a stateful model: a parameter tree in, the forward's output out.
export { functionalCall } from './functional.js';
export { Dense } from './dense.js';
export type { DenseOptions } from './dense.js';
// Convolution, pooling and flattening layers (PyTorch's names, layouts and initialisation).
export { Conv1d, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten } from './conv.js';
export type { ConvLayerOptions, ConvTransposeLayerOptions, MaxPoolLayerOptions, AvgPoolLayerOptions, Size2 } from './conv.js';
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
export type { OptimizerState, OptimizerParams, HyperParameters, HyperRule, HyperSchema, Update } from './optim/optimizer.js';
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
// PyTorch-style layers (PyTorch's names, layouts and initialisations; `Linear` stores `[out, in]`).
export { Linear } from './linear.js';
export type { LinearOptions } from './linear.js';
export { Embedding } from './embedding.js';
export type { EmbeddingOptions, EmbeddingIndices } from './embedding.js';
export { Dropout } from './dropout.js';
export type { DropoutOptions } from './dropout.js';
export { LayerNorm, RMSNorm, BatchNorm1d, BatchNorm2d } from './normalization.js';
export type { LayerNormOptions, RMSNormOptions, BatchNormOptions } from './normalization.js';
export { MultiheadAttention } from './attention.js';
export type { MultiheadAttentionOptions, MultiheadAttentionForwardOptions, AttentionWeightsOptions } from './attention.js';
export { TransformerEncoderLayer } from './transformer.js';
export type { TransformerEncoderLayerOptions, TransformerEncoderLayerForwardOptions } from './transformer.js';
export { ReLU, GELU, Tanh, Sigmoid, SiLU, LeakyReLU, Softmax, Identity } from './activation-modules.js';
export type { GELUOptions } from './activation-modules.js';
export { crossEntropy, nllLoss } from './class-losses.js';
export type { CrossEntropyOptions, NllLossOptions } from './class-losses.js';
export { huberLoss, smoothL1Loss, klDiv } from './losses.js';
export type { HuberLossOptions, SmoothL1LossOptions, KlDivOptions, KlDivReduction } from './losses.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export type { ClipGradNormOptions } from './clip.js';
export { LRScheduler, StepLR, CosineAnnealingLR, LinearLR, SequentialLR, ChainedScheduler } from './optim/schedulers.js';
export type { SchedulerState } from './optim/schedulers.js';
export type { LearningRateOwner, StepLROptions, CosineAnnealingLROptions, LinearLROptions } from './optim/schedulers.js';
// PyTorch's state_dict names and layouts (model files with `layout: 'torch'`).
export { torchStateDict, loadTorchStateDict } from './io/torch-layout.js';
export type { ModelLayout } from './io/model-file.js';

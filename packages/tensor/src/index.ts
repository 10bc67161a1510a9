// @jacobi/tensor: the public surface. Everything a user needs is re-exported from here.
export { Tensor, isConcrete } from './core/tensor.js';
export type { DType, FloatDType, TypedArray } from './dtype.js';
export {
  JacobiError,
  ShapeError,
  AxisError,
  DTypeError,
  ArgumentError,
  NonScalarOutputError,
  NotDifferentiableError,
  TraceError,
  AnomalyError,
  TreeStructureError,
} from './errors.js';
export { tensor, zeros, ones, full, zerosLike, onesLike, eye, arange, rand, randn } from './creation.js';
export type { NestedArray, NestedData, TensorOptions, RandomOptions } from './creation.js';
export { rng } from './random.js';
export type { Rng } from './random.js';
export type { TensorLike } from './ops/operand.js';
export {
  add,
  sub,
  mul,
  div,
  pow,
  maximum,
  minimum,
  clamp,
  neg,
  exp,
  log,
  sqrt,
  abs,
  sign,
  tanh,
  sigmoid,
  relu,
  sin,
  cos,
  reciprocal,
  square,
  greater,
  greaterEqual,
  less,
  lessEqual,
  equal,
  notEqual,
  where,
} from './ops/arithmetic.js';
export {
  floor,
  ceil,
  round,
  trunc,
  frac,
  tan,
  asin,
  acos,
  atan,
  atan2,
  sinh,
  cosh,
  asinh,
  acosh,
  atanh,
  log2,
  log10,
  log1p,
  expm1,
  exp2,
  softplus,
  silu,
  logSigmoid,
  elu,
  selu,
  celu,
  hardSigmoid,
  hardSwish,
  mish,
  softsign,
  relu6,
  hardTanh,
  erf,
  erfc,
  erfinv,
  gelu,
  logAddExp,
  lerp,
  copysign,
  hypot,
  remainder,
  fmod,
  floorDivide,
} from './ops/math.js';
export type { GeluOptions } from './ops/math.js';
export { isnan, isinf, isfinite, logicalAnd, logicalOr, logicalXor, logicalNot } from './ops/predicates.js';
export { bitwiseAnd, bitwiseOr, bitwiseXor, bitwiseNot, leftShift, rightShift } from './ops/bitwise.js';
export { matmul } from './ops/matmul.js';
export {
  reshape,
  transpose,
  broadcastTo,
  squeeze,
  expandDims,
  unsqueeze,
  flatten,
  slice,
  index,
  concat,
  stack,
  astype,
  stopGradient,
} from './ops/layout.js';
export type { BooleanMask, IndexSpec, SliceSpec } from './ops/layout.js';
export { take, gather, scatter, scatterAdd, indexSelect, maskedFill, maskedSelect, nonzero } from './ops/indexing.js';
export type { Indices } from './ops/indexing.js';
export {
  flip,
  roll,
  movedim,
  swapaxes,
  split,
  chunk,
  tile,
  repeatInterleave,
  tril,
  triu,
  diag,
  diagonal,
  trace,
  pad,
  meshgrid,
} from './ops/shape-ops.js';
export type { PadMode, PadOptions, MeshgridOptions } from './ops/shape-ops.js';
export { einsum } from './ops/einsum.js';
// Convolution and pooling (NCHW, PyTorch's weight layouts).
export { conv1d, conv2d, convTranspose2d } from './ops/conv.js';
export type { ConvOptions, ConvPadding, ConvTransposeOptions, SpatialSize } from './ops/conv.js';
export { maxPool1d, maxPool2d, avgPool1d, avgPool2d, adaptiveAvgPool2d, interpolate } from './ops/pool.js';
export type { AvgPoolOptions, InterpolateOptions, MaxPoolOptions } from './ops/pool.js';
export { linspace, logspace } from './ranges.js';
export type { LinspaceOptions, LogspaceOptions } from './ranges.js';
export { uniform, normal, bernoulli, randint, multinomial } from './random-creation.js';
export type { MultinomialOptions } from './random-creation.js';
export { sum, mean, max, min, logSumExp, softmax, logSoftmax, argmax } from './ops/reduce.js';
export type { Axes } from './ops/reduce.js';
export { prod, variance, std, norm, argmin, any, all } from './ops/statistics.js';
export type { VarianceOptions } from './ops/statistics.js';
export { cumsum, cumprod, logCumSumExp, cummax, cummin } from './ops/scan.js';
export { sort, argsort, topk } from './ops/sort.js';
export type { SortOptions, TopkOptions } from './ops/sort.js';
export { scaledDotProductAttention } from './ops/attention.js';
export type { AttentionOptions } from './ops/attention.js';
export { broadcastShapesOf as broadcastShapes } from './shape.js';
export type { Shape } from './shape.js';
export { toArray, formatTensor } from './format.js';
export type { FormatOptions } from './format.js';
export { noGrad, isGradEnabled } from './core/trace.js';
export { detectAnomaly, setDetectAnomaly } from './core/anomaly.js';
export { vjp, jvp, grad, valueAndGrad, jacobian, hessian } from './autodiff/transforms.js';
export type { TensorFunction, GradOptions, JacobianOptions } from './autodiff/transforms.js';
export type { PrimalArg, PrimalArgs, CallArgs, Gradient, ArgGradient, ArgGradients } from './autodiff/transforms.js';
export type { BackwardOptions } from './autodiff/imperative.js';
export { gradients } from './autodiff/imperative.js';
export type { GradientsOptions } from './autodiff/imperative.js';
export { customOp } from './autodiff/custom.js';
export type { CustomOpDefinition, CustomTangent, CustomTangents } from './autodiff/custom.js';
// Pytrees: nested arrays and plain objects of tensors, as every transform takes them.
export { treeFlatten, treeUnflatten, treeLeaves, treeMap, ravel, TreeDef } from './tree.js';
export type { PyTree, PyTreeLeaf, LeafOf, MapLeaves } from './tree.js';
export { jit } from './staging/jit.js';
export type { JitFunction, Lowered } from './staging/jit.js';
// vmap and the Jacobians built on it
export { vmap } from './autodiff/vmap.js';
export type { VmapOptions, BatchAxes } from './autodiff/vmap.js';
export { jacfwd, jacrev } from './autodiff/transforms.js';
// The traced program as exporters read it (Lowered.program).
export type { ConstantAtom, ProgramAtom, ProgramEquation, ProgramInput, ProgramView, VariableAtom } from './staging/program.js';
export type { PrimitiveName } from './primitive-name.js';
export { gradcheck, GradcheckError } from './autodiff/gradcheck.js';
export type { GradcheckOptions, GradcheckReport, GradcheckMismatch } from './autodiff/gradcheck.js';
export { toDot, toMermaid } from './autodiff/graph-export.js';
export { setBackend, getBackend, registerBackend, backendMemoryBytes } from './backend/registry.js';
export type { Backend, StridedView, UnaryKernel, BinaryKernel, ReduceKernel, WindowGeometry } from './backend/backend.js';
export { tidy, keep } from './core/tidy.js';

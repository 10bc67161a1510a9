// Every operation as a Tensor method with the free function's argument order (x.op(...rest)
// is op(x, ...rest)). Installed on the prototype here so that the op modules and the Tensor
// class do not import each other; derivative rules use these methods.
import { Tensor } from './core/tensor.js';
import type { DType } from './dtype.js';
import * as A from './ops/arithmetic.js';
import * as L from './ops/layout.js';
import * as R from './ops/reduce.js';
import { matmul } from './ops/matmul.js';
import type { TensorLike } from './ops/operand.js';
import type { Axes } from './ops/reduce.js';
import type { IndexSpec } from './ops/layout.js';
import type { NestedArray } from './creation.js';
import { formatTensor, toArray } from './format.js';
import * as I from './autodiff/imperative.js';

declare module './core/tensor.js' {
  interface Tensor {
    /** x + y */ add(y: TensorLike): Tensor;
    /** x − y */ sub(y: TensorLike): Tensor;
    /** x · y (elementwise) */ mul(y: TensorLike): Tensor;
    /** x / y */ div(y: TensorLike): Tensor;
    /** x ** exponent */ pow(exponent: TensorLike): Tensor;
    maximum(y: TensorLike): Tensor;
    minimum(y: TensorLike): Tensor;
    clamp(min?: TensorLike, max?: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    reciprocal(): Tensor;
    square(): Tensor;
    greater(y: TensorLike): Tensor;
    greaterEqual(y: TensorLike): Tensor;
    less(y: TensorLike): Tensor;
    lessEqual(y: TensorLike): Tensor;
    equal(y: TensorLike): Tensor;
    notEqual(y: TensorLike): Tensor;
    /** `where(this, x, y)`: this tensor is the condition. */
    where(x: TensorLike, y: TensorLike): Tensor;
    matmul(y: Tensor): Tensor;
    transpose(axes?: readonly number[]): Tensor;
    /** All axes reversed (the matrix transpose for 2-D). */
    readonly T: Tensor;
    reshape(shape: readonly number[]): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    squeeze(axis?: number | readonly number[]): Tensor;
    expandDims(axis: number): Tensor;
    unsqueeze(axis: number): Tensor;
    flatten(): Tensor;
    slice(axis: number, start?: number, stop?: number, step?: number): Tensor;
    index(...specs: IndexSpec[]): Tensor;
    sum(axis?: Axes, keepdims?: boolean): Tensor;
    mean(axis?: Axes, keepdims?: boolean): Tensor;
    max(axis?: Axes, keepdims?: boolean): Tensor;
    min(axis?: Axes, keepdims?: boolean): Tensor;
    logSumExp(axis?: Axes, keepdims?: boolean): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    argmax(axis?: number, keepdims?: boolean): Tensor;
    astype(dtype: DType): Tensor;
    /** The same value cut off from every graph (see `stopGradient`). */
    detach(): Tensor;
    /** Reverse-mode from this tensor into the `.grad` of every `requiresGrad` leaf (PyTorch style). */
    backward(opts?: I.BackwardOptions): void;
    /** Replaces a leaf's contents in place (shape must match). */
    assign(value: Tensor): void;
    /** The accumulated gradient of a `requiresGrad` leaf; assign `null` to clear it. */
    grad: Tensor | null;
    /** Whether this tensor is part of the imperative graph; settable on leaves. */
    requiresGrad: boolean;
    /** True for tensors not computed from a `requiresGrad` tensor, and for the leaves themselves. */
    readonly isLeaf: boolean;
    toArray(): NestedArray;
  }
}

type Method = (this: Tensor, ...args: never[]) => unknown;
const methods: Record<string, Method> & ThisType<Tensor> = {
  add(y: TensorLike) { return A.add(this, y); },
  sub(y: TensorLike) { return A.sub(this, y); },
  mul(y: TensorLike) { return A.mul(this, y); },
  div(y: TensorLike) { return A.div(this, y); },
  pow(e: TensorLike) { return A.pow(this, e); },
  maximum(y: TensorLike) { return A.maximum(this, y); },
  minimum(y: TensorLike) { return A.minimum(this, y); },
  clamp(lo?: TensorLike, hi?: TensorLike) { return A.clamp(this, lo, hi); },
  neg() { return A.neg(this); },
  exp() { return A.exp(this); },
  log() { return A.log(this); },
  sqrt() { return A.sqrt(this); },
  abs() { return A.abs(this); },
  sign() { return A.sign(this); },
  tanh() { return A.tanh(this); },
  sigmoid() { return A.sigmoid(this); },
  relu() { return A.relu(this); },
  sin() { return A.sin(this); },
  cos() { return A.cos(this); },
  reciprocal() { return A.reciprocal(this); },
  square() { return A.square(this); },
  greater(y: TensorLike) { return A.greater(this, y); },
  greaterEqual(y: TensorLike) { return A.greaterEqual(this, y); },
  less(y: TensorLike) { return A.less(this, y); },
  lessEqual(y: TensorLike) { return A.lessEqual(this, y); },
  equal(y: TensorLike) { return A.equal(this, y); },
  notEqual(y: TensorLike) { return A.notEqual(this, y); },
  where(x: TensorLike, y: TensorLike) { return A.where(this, x, y); },
  matmul(y: Tensor) { return matmul(this, y); },
  transpose(axes?: readonly number[]) { return L.transpose(this, axes); },
  reshape(shape: readonly number[]) { return L.reshape(this, shape); },
  broadcastTo(shape: readonly number[]) { return L.broadcastTo(this, shape); },
  squeeze(axis?: number | readonly number[]) { return L.squeeze(this, axis); },
  expandDims(axis: number) { return L.expandDims(this, axis); },
  unsqueeze(axis: number) { return L.expandDims(this, axis); },
  flatten() { return L.flatten(this); },
  slice(axis: number, start?: number, stop?: number, step?: number) { return L.slice(this, axis, start, stop, step); },
  index(...specs: IndexSpec[]) { return L.index(this, ...specs); },
  sum(axis?: Axes, keepdims?: boolean) { return R.sum(this, axis, keepdims); },
  mean(axis?: Axes, keepdims?: boolean) { return R.mean(this, axis, keepdims); },
  max(axis?: Axes, keepdims?: boolean) { return R.max(this, axis, keepdims); },
  min(axis?: Axes, keepdims?: boolean) { return R.min(this, axis, keepdims); },
  logSumExp(axis?: Axes, keepdims?: boolean) { return R.logSumExp(this, axis, keepdims); },
  softmax(axis?: number) { return R.softmax(this, axis); },
  logSoftmax(axis?: number) { return R.logSoftmax(this, axis); },
  argmax(axis?: number, keepdims?: boolean) { return R.argmax(this, axis, keepdims); },
  astype(dtype: DType) { return L.astype(this, dtype); },
  detach() { return L.stopGradient(this); },
  backward(opts?: I.BackwardOptions) { I.backward(this, opts); },
  assign(value: Tensor) { I.assign(this, value); },
  toArray() { return toArray(this); },
  toString() { return formatTensor(this); },
};
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true });
}
Object.defineProperties(Tensor.prototype, {
  T: { get(this: Tensor) { return L.transpose(this); }, configurable: true },
  grad: {
    get(this: Tensor) { return I.getGrad(this); },
    set(this: Tensor, v: Tensor | null) { I.setGrad(this, v); },
    configurable: true,
  },
  requiresGrad: {
    get(this: Tensor) { return I.requiresGrad(this); },
    set(this: Tensor, v: boolean) { I.setRequiresGrad(this, v); },
    configurable: true,
  },
  isLeaf: { get(this: Tensor) { return I.isLeaf(this); }, configurable: true },
});

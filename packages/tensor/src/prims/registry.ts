// THE list of primitives: every operation the interpreters can bind, by name. Everything else
// in the library is a composite of these. Test tables are keyed by `PrimitiveName`, so a
// primitive without a test row is a compile error.
import type { AbstractValue } from '../core/primitive.js';
import * as bitwise from './bitwise.js';
import * as elementwise from './elementwise.js';
import * as layout from './layout.js';
import * as math from './math.js';
import { matmulPrim } from './matmul.js';
import { maxPrim, sumPrim } from './reduce.js';
import { takeIndexedPrim, takePrim, untakeIndexedPrim, untakePrim } from './take.js';
import { foldPrim, unfoldPrim } from './windows.js';
import { cumsumPrim } from './scan.js';
import { argsortPrim, permuteAlongPrim } from './sort.js';

/** What every entry has, whatever its params: a name and a shape rule. */
interface Registered {
  readonly name: string;
  readonly shape: (inputs: readonly AbstractValue[], params: never) => AbstractValue;
}
/** A primitive, or for `concat` (one input per operand) the family of its arities. */
export type RegisteredPrimitive = Registered | ((arity: number) => Registered);

/** Every primitive, keyed by its `name`. */
export const PRIMITIVES = {
  neg: elementwise.negPrim,
  exp: elementwise.expPrim,
  log: elementwise.logPrim,
  sqrt: elementwise.sqrtPrim,
  abs: elementwise.absPrim,
  sign: elementwise.signPrim,
  tanh: elementwise.tanhPrim,
  sigmoid: elementwise.sigmoidPrim,
  sin: elementwise.sinPrim,
  cos: elementwise.cosPrim,
  add: elementwise.addPrim,
  sub: elementwise.subPrim,
  mul: elementwise.mulPrim,
  div: elementwise.divPrim,
  pow: elementwise.powPrim,
  maximum: elementwise.maximumPrim,
  greater: elementwise.greaterPrim,
  greaterEqual: elementwise.greaterEqualPrim,
  less: elementwise.lessPrim,
  lessEqual: elementwise.lessEqualPrim,
  equal: elementwise.equalPrim,
  notEqual: elementwise.notEqualPrim,
  where: elementwise.wherePrim,
  reshape: layout.reshapePrim,
  transpose: layout.transposePrim,
  broadcastTo: layout.broadcastPrim,
  slice: layout.slicePrim,
  unslice: layout.unslicePrim,
  concat: layout.concatPrim,
  cast: layout.castPrim,
  matmul: matmulPrim,
  sum: sumPrim,
  max: maxPrim,
  take: takePrim,
  untake: untakePrim,
  takeIndexed: takeIndexedPrim,
  untakeIndexed: untakeIndexedPrim,
  unfold: unfoldPrim,
  fold: foldPrim,
  floor: math.floorPrim,
  ceil: math.ceilPrim,
  round: math.roundPrim,
  trunc: math.truncPrim,
  tan: math.tanPrim,
  asin: math.asinPrim,
  acos: math.acosPrim,
  atan: math.atanPrim,
  sinh: math.sinhPrim,
  cosh: math.coshPrim,
  asinh: math.asinhPrim,
  acosh: math.acoshPrim,
  atanh: math.atanhPrim,
  log2: math.log2Prim,
  log10: math.log10Prim,
  log1p: math.log1pPrim,
  expm1: math.expm1Prim,
  exp2: math.exp2Prim,
  atan2: math.atan2Prim,
  erf: math.erfPrim,
  erfc: math.erfcPrim,
  erfinv: math.erfinvPrim,
  copysign: math.copysignPrim,
  hypot: math.hypotPrim,
  cumsum: cumsumPrim,
  argsort: argsortPrim,
  permuteAlong: permuteAlongPrim,
  bitwiseAnd: bitwise.bitwiseAndPrim,
  bitwiseOr: bitwise.bitwiseOrPrim,
  bitwiseXor: bitwise.bitwiseXorPrim,
  bitwiseNot: bitwise.bitwiseNotPrim,
  leftShift: bitwise.leftShiftPrim,
  rightShift: bitwise.rightShiftPrim,
} as const satisfies Record<string, RegisteredPrimitive>;

/** The name of a primitive. */
export type PrimitiveName = keyof typeof PRIMITIVES;

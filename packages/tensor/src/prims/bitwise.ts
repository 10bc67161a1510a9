// Bitwise primitives on int32 (and bool) tensors: their outputs are constants to autodiff, as
// every integer result is. The ops layer (ops/bitwise.ts) refuses float operands.
import { constantBinary, constantUnary } from './elementwise.js';

export const bitwiseAndPrim = constantBinary('bitwiseAnd', true);
export const bitwiseOrPrim = constantBinary('bitwiseOr', true);
export const bitwiseXorPrim = constantBinary('bitwiseXor', true);
export const leftShiftPrim = constantBinary('leftShift', true);
export const rightShiftPrim = constantBinary('rightShift', true);
export const bitwiseNotPrim = constantUnary('bitwiseNot');

// The registry's names as a public type, for packages that translate traced programs
// (@jacobi/onnx keys its mapping table by it, so a new primitive without a mapping is a compile error).
import type { PrimitiveName as RegisteredName } from './prims/registry.js';

/**
 * The name of a primitive, as `ProgramEquation.primitive` reports it (`'matmul'`, `'take'`, …).
 * @internal For translators of traced programs; the set grows with the registry.
 */
export type PrimitiveName = RegisteredName;

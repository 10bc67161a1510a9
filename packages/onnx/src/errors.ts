// The errors exportOnnx throws besides @jacobi/tensor's ArgumentError for bad options.
import { JacobiError } from '@jacobi/tensor';

/** The traced program cannot be written as an ONNX graph; the message says why. */
export class OnnxExportError extends JacobiError {}

/** A traced primitive that has no ONNX counterpart; `primitive` names it. */
export class UnsupportedPrimitiveError extends OnnxExportError {
  /** The primitive's registry name, e.g. `'argsort'`. */
  readonly primitive: string;
  constructor(primitive: string, reason: string) {
    super(`exportOnnx: primitive '${primitive}' has no ONNX mapping (${reason})`);
    this.primitive = primitive;
  }
}

/** The program cannot be exported with the requested dynamic axes (something in it is fixed to their example size). */
export class DynamicAxisError extends OnnxExportError {}

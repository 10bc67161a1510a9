// Errors of @jacobi/nn that have no counterpart in @jacobi/tensor. Bad arguments and shapes
// reuse the tensor package's ArgumentError and ShapeError, so one `instanceof` covers both.
import { JacobiError } from '@jacobi/tensor';

/**
 * A model file or state dictionary that cannot be read or does not fit the model: a broken
 * safetensors header, an unknown dtype, bad offsets, a missing, extra or misshapen tensor.
 * `file` and `tensor` name what was wrong where they are known.
 */
export class ModelFileError extends JacobiError {
  /** The file (or source label) being read, if any. */
  readonly file: string | undefined;
  /** The tensor the problem is about, if any. */
  readonly tensor: string | undefined;

  constructor(message: string, where: { file?: string | undefined; tensor?: string | undefined } = {}) {
    const prefix = where.file === undefined ? '' : `${where.file}: `;
    super(`${prefix}${message}`);
    this.file = where.file;
    this.tensor = where.tensor;
  }
}

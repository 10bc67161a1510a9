// Errors of @jacobi/nn that have no counterpart in @jacobi/tensor. Bad arguments and shapes
// reuse the tensor package's ArgumentError and ShapeError, so one `instanceof` covers both.
import { JacobiError } from '@jacobi/tensor';

/**
 * Where a model-file problem is, as `ModelFileError`'s constructor takes it: the function the
 * user called, the file and the tensor. A field that is not a string counts as absent (a
 * missing `op` reads `ModelFileError`), so the error can be built from anything.
 */
export interface ModelFileLocation {
  /** The function the user called (`loadModel`, `Dense.loadStateDict`); the message starts with it. */
  op: string;
  /** The file (or source label) being read or written; the message names it after `op`. */
  file?: string | undefined;
  /** The tensor (or state-dictionary entry) the problem is about. */
  tensor?: string | undefined;
}

/**
 * A model file or state dictionary that cannot be read, written or does not fit the model: a
 * broken safetensors header, an unknown dtype, bad offsets, a missing, extra or misshapen
 * tensor, a folder where the file should go. The message reads `op: file: what is wrong`;
 * `op`, `file` and `tensor` are also fields.
 *
 * @example
 * try { await loadModel('m.safetensors', model); } catch (e) { if (e instanceof ModelFileError) console.log(e.file); }
 */
export class ModelFileError extends JacobiError {
  /** The function the user called. */
  readonly op: string;
  /** The file (or source label) being read or written, if any. */
  readonly file: string | undefined;
  /** The tensor the problem is about, if any. */
  readonly tensor: string | undefined;

  /** `message` says what is wrong; the error's message puts `where.op` and `where.file` in front of it. */
  constructor(message: string, where: ModelFileLocation) {
    // NOTE: String() only on strings: an error must be constructible from anything without throwing.
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const op = text(where?.op) ?? 'ModelFileError';
    const file = text(where?.file);
    super(`${op}: ${file === undefined ? '' : `${file}: `}${text(message) ?? 'invalid model file'}`);
    this.op = op;
    this.file = file;
    this.tensor = text(where?.tensor);
  }
}

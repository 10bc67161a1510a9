// @jacobi/onnx: export jacobi functions and modules as ONNX models.
export { exportOnnx, SUPPORTED_OPSETS } from './export.js';
export type { Exportable, ExportOnnxOptions, OnnxModule, OnnxNames, OpsetRange } from './export.js';
export { DynamicAxisError, OnnxExportError, UnsupportedPrimitiveError } from './errors.js';

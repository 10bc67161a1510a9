// The subset of ONNX's protobuf schema the exporter writes, as a protobufjs JSON descriptor.
// Source: onnx/onnx, onnx/onnx.proto (IR version 10, proto2); every field keeps the name and
// number it has there, so any ONNX reader decodes what protobufjs encodes from it. Messages and
// fields the exporter never writes (sparse tensors, functions, training info, …) are left out,
// which protobuf allows: a reader sees them as absent.
import protobuf from 'protobufjs/light.js';

const repeated = (type: string, id: number, packed = false) => ({ rule: 'repeated', type, id, options: { packed } });

const descriptor = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: { type: 'string', id: 1 },
            f: { type: 'float', id: 2 },
            i: { type: 'int64', id: 3 },
            s: { type: 'bytes', id: 4 },
            t: { type: 'TensorProto', id: 5 },
            floats: repeated('float', 7),
            ints: repeated('int64', 8),
            strings: repeated('bytes', 9),
            doc_string: { type: 'string', id: 13 },
            type: { type: 'AttributeType', id: 20 },
          },
          nested: {
            AttributeType: {
              values: { UNDEFINED: 0, FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 },
            },
          },
        },
        ValueInfoProto: {
          fields: { name: { type: 'string', id: 1 }, type: { type: 'TypeProto', id: 2 }, doc_string: { type: 'string', id: 3 } },
        },
        NodeProto: {
          fields: {
            input: repeated('string', 1),
            output: repeated('string', 2),
            name: { type: 'string', id: 3 },
            op_type: { type: 'string', id: 4 },
            attribute: repeated('AttributeProto', 5),
            doc_string: { type: 'string', id: 6 },
            domain: { type: 'string', id: 7 },
          },
        },
        StringStringEntryProto: { fields: { key: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        ModelProto: {
          fields: {
            ir_version: { type: 'int64', id: 1 },
            producer_name: { type: 'string', id: 2 },
            producer_version: { type: 'string', id: 3 },
            domain: { type: 'string', id: 4 },
            model_version: { type: 'int64', id: 5 },
            doc_string: { type: 'string', id: 6 },
            graph: { type: 'GraphProto', id: 7 },
            opset_import: repeated('OperatorSetIdProto', 8),
            metadata_props: repeated('StringStringEntryProto', 14),
          },
        },
        GraphProto: {
          fields: {
            node: repeated('NodeProto', 1),
            name: { type: 'string', id: 2 },
            initializer: repeated('TensorProto', 5),
            doc_string: { type: 'string', id: 10 },
            input: repeated('ValueInfoProto', 11),
            output: repeated('ValueInfoProto', 12),
            value_info: repeated('ValueInfoProto', 13),
          },
        },
        TensorProto: {
          fields: {
            dims: repeated('int64', 1),
            data_type: { type: 'int32', id: 2 },
            float_data: repeated('float', 4, true),
            int32_data: repeated('int32', 5, true),
            int64_data: repeated('int64', 7, true),
            name: { type: 'string', id: 8 },
            raw_data: { type: 'bytes', id: 9 },
            double_data: repeated('double', 10, true),
            doc_string: { type: 'string', id: 12 },
          },
          nested: {
            DataType: { values: { UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } },
          },
        },
        TensorShapeProto: {
          fields: { dim: repeated('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dim_value', 'dim_param'] } },
              fields: { dim_value: { type: 'int64', id: 1 }, dim_param: { type: 'string', id: 2 }, denotation: { type: 'string', id: 3 } },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensor_type'] } },
          fields: { tensor_type: { type: 'Tensor', id: 1 }, denotation: { type: 'string', id: 6 } },
          nested: {
            Tensor: { fields: { elem_type: { type: 'int32', id: 1 }, shape: { type: 'TensorShapeProto', id: 2 } } },
          },
        },
        OperatorSetIdProto: { fields: { domain: { type: 'string', id: 1 }, version: { type: 'int64', id: 2 } } },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
const modelType = root.lookupType('onnx.ModelProto');

/** ONNX's `TensorProto.DataType` codes for the element types the exporter writes. */
export const ONNX_DTYPE = { float32: 1, int32: 6, int64: 7, bool: 9, float64: 11 } as const;

/** ONNX's `AttributeProto.AttributeType` codes. */
export const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

/** A `TensorProto` with its bytes in `raw_data` (little-endian, as ONNX requires). */
export interface TensorMessage {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

/** An `AttributeProto` of one of the kinds the exporter writes. */
export interface AttributeMessage {
  name: string;
  type: number;
  i?: number;
  f?: number;
  s?: Uint8Array;
  ints?: number[];
  floats?: number[];
  t?: TensorMessage;
}

/** A `NodeProto`. */
export interface NodeMessage {
  op_type: string;
  name: string;
  input: string[];
  output: string[];
  attribute: AttributeMessage[];
}

/** A `ValueInfoProto` of a tensor: its name, element type and dims (a number or a symbolic name). */
export interface ValueInfoMessage {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } } };
}

/** A `ModelProto` with one graph. */
export interface ModelMessage {
  ir_version: number;
  producer_name: string;
  producer_version: string;
  opset_import: { domain: string; version: number }[];
  graph: {
    name: string;
    node: NodeMessage[];
    initializer: TensorMessage[];
    input: ValueInfoMessage[];
    output: ValueInfoMessage[];
  };
}

/** The protobuf encoding of `model`, checked against the schema first. */
export function encodeModel(model: ModelMessage): Uint8Array {
  const problem = modelType.verify(model);
  // A failed verification is a bug of the exporter, not of its caller's input.
  if (problem !== null) throw new Error(`exportOnnx: internal error, the model does not match onnx.proto: ${problem}`);
  return modelType.encode(modelType.fromObject(model)).finish();
}

/** The decoded message, for tests: protobuf's view of bytes as plain objects (int64 as numbers). */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  return modelType.toObject(modelType.decode(bytes), { longs: Number, bytes: Array, defaults: false, arrays: true }) as Record<
    string,
    unknown
  >;
}

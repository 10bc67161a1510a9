// functionalCall: a model's forward with other tensors in place of its parameters (and buffers),
// as PyTorch's torch.func.functional_call, so that the functional transforms can differentiate a
// stateful module: grad((p) => loss(functionalCall(model, p, x), y))(model.parameterTree()).
import { ArgumentError, ShapeError, Tensor } from '@jacobi/tensor';
import { Module, bufferSlotsOf, collect, type Slot, walk } from './module.js';
import { describeValue } from './validate.js';

/**
 * Runs `model.forward(...inputs)` with the tensors of `params` in place of the model's own:
 * `params` is keyed like `model.parameterTree()` (the dotted names of `namedParameters()`) and
 * must name every parameter; it may also name buffers (`namedBuffers()`), which are otherwise
 * the model's own. The model is put back as it was afterwards, even when the forward throws.
 * Unknown or missing names and wrong shapes are errors, checked before the forward runs.
 *
 * @example
 * const model = new Linear(2, 1);
 * const loss = (p: Record<string, Tensor>) => mse(functionalCall(model, p, x), y);
 * const grads = grad(loss)(model.parameterTree()); // { bias: …, weight: … }
 */
export function functionalCall(model: Module, params: Readonly<Record<string, Tensor>>, ...inputs: unknown[]): Tensor {
  const op = 'functionalCall';
  if (!(model instanceof Module)) throw new ArgumentError(`${op}: model must be a Module, got ${describeValue(model)}`);
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new ArgumentError(`${op}: params must be an object keyed like model.parameterTree(), got ${describeValue(params)}`);
  }
  const slots = new Map<string, Slot & { kind: 'parameter' | 'buffer' }>();
  for (const [name, slot] of collect(model)) slots.set(name, { ...slot, kind: 'parameter' });
  for (const [name, slot] of bufferSlotsOf(model)) slots.set(name, { ...slot, kind: 'buffer' });
  const given = Object.keys(params);
  const unknown = given.find((name) => !slots.has(name));
  if (unknown !== undefined) {
    throw new ArgumentError(
      `${op}: the model has no parameter or buffer named ${describeValue(unknown)} (names are those of model.parameterTree())`,
    );
  }
  const missing = [...slots].find(([name, s]) => s.kind === 'parameter' && !Object.hasOwn(params, name));
  if (missing !== undefined) throw new ArgumentError(`${op}: params is missing the parameter '${missing[0]}'`);
  const swaps = given.map((name) => {
    const slot = slots.get(name)!;
    const d = Object.getOwnPropertyDescriptor(params, name)!;
    const value: unknown = d.value;
    if (!('value' in d) || !(value instanceof Tensor))
      throw new ArgumentError(`${op}: params['${name}'] must be a Tensor, got ${describeValue(value)}`);
    const own = (slot.owner as Record<string, Tensor>)[slot.key]!;
    if (value.ndim !== own.ndim || value.shape.some((n, i) => n !== own.shape[i])) {
      throw new ShapeError(`${op}: ${slot.kind} '${name}' has shape [${own.shape}], got [${value.shape}]`);
    }
    return { slot, value, own };
  });
  // A tensor shared by several fields (tied weights) is one parameter under its first name;
  // every field that holds it gets the substitute.
  const fields: { owner: Record<string, Tensor>; key: string; value: Tensor; own: Tensor }[] = [];
  const byTensor = new Map(swaps.map((s) => [s.own, s.value]));
  walk(model, (m) => {
    for (const [key, held] of Object.entries(m)) {
      const value = held instanceof Tensor ? byTensor.get(held) : undefined;
      if (value !== undefined) fields.push({ owner: m as unknown as Record<string, Tensor>, key, value, own: held as Tensor });
    }
  });
  const forward = (model as unknown as { forward: (...xs: unknown[]) => unknown }).forward;
  try {
    for (const f of fields) f.owner[f.key] = f.value;
    return forward.apply(model, inputs) as Tensor;
  } finally {
    for (const f of fields) f.owner[f.key] = f.own;
  }
}

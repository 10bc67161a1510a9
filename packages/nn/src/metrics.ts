// Classification metrics.
import { ArgumentError, ShapeError, Tensor } from '@jacobi/tensor';
import { checkTensor, describeValue } from './validate.js';

/**
 * The fraction of rows whose largest score (argmax over the last axis of `scores`) is the true
 * class. `labels` are class indices (an array or a 1-D tensor) or one-hot rows.
 *
 * @example
 * accuracy(tensor([[0.9, 0.1], [0.2, 0.8]]), [0, 0]); // 0.5
 */
export function accuracy(scores: Tensor, labels: Tensor | readonly number[]): number {
  const op = 'accuracy';
  checkTensor(op, 'scores', scores);
  if (scores.ndim !== 2 || scores.shape[1] === 0)
    throw new ShapeError(`${op}: scores must be a [rows, classes] tensor with classes ≥ 1, got shape [${scores.shape}]`);
  const predicted = scores.argmax(-1).data();
  let truth: ArrayLike<number>;
  if (labels instanceof Tensor) {
    if (labels.shape.join() === scores.shape.join()) truth = labels.argmax(-1).data();
    else if (labels.ndim === 1) truth = labels.data();
    else
      throw new ShapeError(
        `accuracy: labels of shape [${labels.shape}] fit neither indices [${scores.shape[0]}] nor one-hot [${scores.shape}]`,
      );
  } else if (Array.isArray(labels)) {
    if (labels.length !== predicted.length) throw new ShapeError(`${op}: ${labels.length} labels for ${predicted.length} rows`);
    for (let i = 0; i < labels.length; i++) {
      const v: unknown = labels[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        throw new ArgumentError(`${op}: label ${i} is ${describeValue(v)}, expected a non-negative integer`);
    }
    truth = labels;
  } else {
    throw new ArgumentError(`${op}: labels must be an array of class indices or a Tensor, got ${describeValue(labels)}`);
  }
  if (truth.length !== predicted.length) throw new ShapeError(`accuracy: ${truth.length} labels for ${predicted.length} rows`);
  if (truth.length === 0) throw new ArgumentError('accuracy: no rows to score');
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) correct++;
  return correct / truth.length;
}

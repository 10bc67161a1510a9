// Trains a small net on XOR with @jacobi/nn, as a new user's first browser page would.
import { Adam, Dense, Sequential, halfSquaredError } from '@jacobi/nn';
import { getBackend, rng, tensor } from '@jacobi/tensor';
import { report } from '../report.js';

report(() => {
  const x = tensor([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ]);
  const target = tensor([[0], [1], [1], [0]]);
  const model = new Sequential(new Dense(2, 8, { activation: 'tanh', rng: rng(1) }), new Dense(8, 1, { rng: rng(2) }));
  const optimizer = new Adam(model.parameters(), { lr: 0.05 });
  const loss = () => halfSquaredError(model.forward(x), target);
  const lossBefore = loss().item();
  for (let step = 0; step < 300; step++) {
    optimizer.zeroGrad();
    loss().backward();
    optimizer.step();
  }
  return { backend: getBackend(), lossBefore, lossAfter: loss().item(), prediction: model.forward(x).toArray().flat() };
});

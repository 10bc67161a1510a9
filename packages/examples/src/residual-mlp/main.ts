// `pnpm residual-mlp`: a residual MLP with a custom swish op learns the two-spirals problem.
import { rng } from '@jacobi/tensor';
import { Adam, accuracy, fit, oneHot, predict, softmaxCrossEntropy, trainTestSplit } from '@jacobi/nn';
import { ResidualMLP, spirals } from './model.js';

const data = spirals(100, 1);
const { xTrain, xTest, yTrain, yTest } = trainTestSplit(data.x, data.labels, { testSize: 0.2, rng: rng(2), stratify: true });

const model = new ResidualMLP({ inFeatures: 2, width: 32, depth: 3, classes: 2, seed: 3 });
const optimizer = new Adam(model.parameters(), { lr: 0.01 });
console.log(`residual MLP: ${model.parameters().reduce((n, p) => n + p.size, 0)} parameters in ${model.namedParameters().length} tensors`);

const started = performance.now();
fit(model, xTrain, oneHot(yTrain, 2), {
  optimizer,
  loss: softmaxCrossEntropy,
  epochs: 100,
  batchSize: 32,
  rng: rng(4),
  onEpoch: (epoch, loss) => {
    if (epoch % 20 === 0)
      console.log(`epoch ${epoch}: loss ${loss.toFixed(4)}  test accuracy ${accuracy(predict(model, xTest), yTest).toFixed(3)}`);
  },
});
console.log(`trained in ${((performance.now() - started) / 1000).toFixed(2)} s`);
console.log(
  `train accuracy ${accuracy(predict(model, xTrain), yTrain).toFixed(3)}, test accuracy ${accuracy(predict(model, xTest), yTest).toFixed(3)}`,
);

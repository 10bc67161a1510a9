// Child process of kill-during-save.test.ts: saves a model whose weights all equal k, for
// k = start, start + 1, ..., until it is killed. Prints "ready" after the first save. Uses the
// built packages (pnpm test builds them first).
import { tensor } from '@jacobi/tensor';
import { Dense } from '@jacobi/nn';
import { saveModel } from '@jacobi/nn/node';

const [path, start] = process.argv.slice(2);
const layer = new Dense(64, 64, { bias: false });
for (let k = Number(start); ; k++) {
  layer.weight.assign(tensor(new Float32Array(64 * 64).fill(k), { shape: [64, 64] }));
  await saveModel(path, layer);
  if (k === Number(start)) process.stdout.write('ready\n');
}

// A short tour of @jacobi/tensor: reverse mode, forward mode and PyTorch-style backward().
import { tensor, grad, jvp, hessian } from '@jacobi/tensor';

const W = tensor([
  [0.1, 0.2],
  [0.3, 0.4],
  [0.5, 0.6],
]);
const x = tensor([[0.5, -1, 2]]);
const f = (x: typeof W) => x.matmul(W).tanh().sum();

console.log('f(x)       =', f(x).item());
console.log('grad f(x)  =', grad(f)(x).toString());
const [, directional] = jvp(f, [x], [tensor([[1, 0, 0]])]);
console.log('df along e1 =', directional.item());

const w = tensor([1, 2, 3], { requiresGrad: true, dtype: 'float64' });
const loss = w.mul(w).sum().mul(0.5);
loss.backward();
console.log('backward(): w.grad =', w.grad!.toString());
console.log(`Hessian of Σx³ at [1,2] =\n${hessian((v) => v.pow(3).sum())(tensor([1, 2])).toString()}`);

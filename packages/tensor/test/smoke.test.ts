import { describe, expect, it } from 'vitest';
import { tensor, grad, jvp, vjp, hessian, jacobian, gradcheck } from '../src/index.js';

describe('smoke', () => {
  it('works', () => {
    const x = tensor([[1, 2], [3, 4]]);
    console.log(x.toString(), x.T.toString());
    const y = x.matmul(x.T).sum();
    console.log(y.item());
    const g = grad((a) => a.matmul(a.T).sum())(x);
    console.log(g.toString());
    const [o, t] = jvp((a) => a.sin(), [tensor([0, 1])], [tensor([1, 1])]);
    console.log(o.toString(), t.toString());
    const w = tensor([1, 2], { requiresGrad: true });
    const l = w.mul(w).sum();
    l.backward();
    console.log(w.grad!.toString());
    const h = hessian((a) => a.pow(3).sum())(tensor([1, 2], { dtype: 'float64' }));
    console.log(h.toString());
    const pc = grad((a) => a.mul(grad((b) => a.add(b))(a)))(tensor(3));
    console.log('pc', pc.toString());
    const pcf = jvp((a) => a.mul(jvp((b) => a.add(b), [a], [tensor(1)])[1]), [tensor(3)], [tensor(1)])[1];
    console.log('pcf', pcf.toString());
    console.log(gradcheck((a, b) => a.matmul(b).tanh().sum(1), [tensor([[1, 2], [3, 4]]), tensor([[0.1, 0.2], [0.3, 0.4]])]));
    expect(1).toBe(1);
  });
});

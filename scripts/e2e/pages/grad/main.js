// The smallest useful page: only `tensor` and `grad`, so its bundle size is the floor a user pays.
import { grad, tensor } from '@jacobi/tensor';
import { report } from '../report.js';

report(() => ({ grad: grad((x) => x.mul(x).sum())(tensor([1, 2, 3])).toArray() }));

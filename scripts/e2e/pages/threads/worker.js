// Matmuls above the threading threshold (2^22 multiply-adds) on two threads, compared bit for bit
// with the same products on one thread: the threads split the work, never the arithmetic.
import { randn, rng, setBackend } from '@jacobi/tensor';
import { createWasmBackend } from '@jacobi/tensor/wasm';

async function run() {
  const threaded = createWasmBackend({ threads: 2 });
  const threads = await threaded.threadsReady();
  const single = createWasmBackend({ threads: 1 });
  const result = { threads, multiplyAdds: 256 * 192 * 128, count: 0, differing: 0, threadedMs: 0, singleMs: 0 };
  for (const dtype of ['float32', 'float64']) {
    const a = randn([256, 192], { rng: rng(3), dtype });
    const b = randn([192, 128], { rng: rng(4), dtype });
    const timed = (backend) => {
      setBackend(backend);
      const start = performance.now();
      const values = a.matmul(b).toArray().flat();
      return { values, ms: performance.now() - start };
    };
    const many = timed(threaded);
    const one = timed(single);
    result.count += many.values.length;
    result.differing += many.values.filter((v, i) => !Object.is(v, one.values[i])).length;
    result.threadedMs += many.ms;
    result.singleMs += one.ms;
  }
  return result;
}

run().then(
  (result) => postMessage(result),
  (e) => postMessage({ error: String(e?.stack || e) }),
);

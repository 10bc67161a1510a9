// A matmul above the threading threshold (2^22 multiply-adds) on two threads, compared bit for bit
// with the same product on one thread: the threads split the work, never the arithmetic.
import { randn, rng, setBackend } from '@jacobi/tensor';
import { createWasmBackend } from '@jacobi/tensor/wasm';

async function run() {
  const threaded = createWasmBackend({ threads: 2 });
  const threads = await threaded.threadsReady();
  const a = randn([256, 192], { rng: rng(3) });
  const b = randn([192, 128], { rng: rng(4) });
  const timed = (backend) => {
    setBackend(backend);
    const start = performance.now();
    const values = a.matmul(b).toArray().flat();
    return { values, ms: performance.now() - start };
  };
  const many = timed(threaded);
  const one = timed(createWasmBackend({ threads: 1 }));
  const differing = many.values.filter((v, i) => !Object.is(v, one.values[i])).length;
  return { threads, multiplyAdds: 256 * 192 * 128, differing, count: many.values.length, threadedMs: many.ms, singleMs: one.ms };
}

run().then((result) => postMessage(result), (e) => postMessage({ error: String((e && e.stack) || e) }));

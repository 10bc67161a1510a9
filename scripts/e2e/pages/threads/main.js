// A cross-origin isolated page: the threaded matmul blocks on Atomics, which a page's main
// thread may not do, so it runs in a module worker and this page only shows its answer.
import { report } from '../report.js';

report(
  () =>
    new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
      worker.onmessage = ({ data }) => {
        if (data.error) reject(new Error(`worker: ${data.error}`));
        else resolve({ crossOriginIsolated: globalThis.crossOriginIsolated, ...data });
      };
      worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
    }),
);

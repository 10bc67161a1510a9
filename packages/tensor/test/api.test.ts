// The built package, imported by name and by path from plain Node, as a user would.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function runNode(source: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', source], { cwd: root, encoding: 'utf8' });
}

describe('the built @jacobi/tensor', () => {
  it('imports by name from the workspace root and computes a gradient', () => {
    const out = runNode(`
      import { tensor, grad, jvp } from '@jacobi/tensor';
      const g = grad((x) => x.mul(x).sum())(tensor([1, 2, 3]));
      const [, t] = jvp((x) => x.sin(), [tensor(0)], [tensor(1)]);
      console.log(JSON.stringify([g.toArray(), t.item()]));
    `);
    expect(JSON.parse(out)).toEqual([[2, 4, 6], 1]);
  });
  it('imports by path', () => {
    const out = runNode(`
      import { tensor } from './packages/tensor/dist/index.js';
      const w = tensor([1, 2], { requiresGrad: true });
      w.mul(w).sum().backward();
      console.log(JSON.stringify(w.grad.toArray()));
    `);
    expect(JSON.parse(out)).toEqual([2, 4]);
  });
  it('exports the WebAssembly backend factory from @jacobi/tensor/wasm', () => {
    const out = runNode(`
      import { setBackend, getBackend, tensor } from '@jacobi/tensor';
      import { createWasmBackend } from '@jacobi/tensor/wasm';
      const wasm = createWasmBackend({ threads: 2 });
      setBackend(wasm);
      const threads = await wasm.threadsReady();
      const y = tensor([[1, 2], [3, 4]]).matmul(tensor([[1], [1]]));
      console.log(JSON.stringify([getBackend(), threads, y.toArray()]));
      wasm.dispose();
    `);
    expect(JSON.parse(out)).toEqual(['wasm-simd', 2, [[3], [7]]]);
  });
  it('compiles no WebAssembly at import: only the first kernel (or getBackend) picks the default', () => {
    const out = runNode(`
      let compiled = 0;
      const Module = WebAssembly.Module;
      WebAssembly.Module = function (bytes) { compiled++; return new Module(bytes); };
      const J = await import('@jacobi/tensor');
      const atImport = compiled;
      J.setBackend('js');
      J.tensor([1, 2]).add(1);
      const afterJs = compiled;
      J.setBackend('wasm');
      console.log(JSON.stringify([atImport, afterJs, compiled > 0, J.getBackend()]));
    `);
    expect(JSON.parse(out)).toEqual([0, 0, true, 'wasm']);
  });
  it('loads with any of its modules first (the Tensor class and the ops import each other)', () => {
    // NOTE: an import cycle is safe only while no module uses another's bindings as it loads;
    // loading each module first, in a fresh process, finds the one that does.
    const out = runNode(`
      import { readdirSync } from 'node:fs';
      import { join } from 'node:path';
      const dist = 'packages/tensor/dist';
      const modules = readdirSync(dist, { recursive: true }).filter((f) => String(f).endsWith('.js'));
      const { execFileSync } = await import('node:child_process');
      const failures = [];
      for (const f of modules) {
        try {
          execFileSync(process.execPath, ['--input-type=module', '-e', 'await import(' + JSON.stringify('./' + join(dist, String(f))) + ')'], { stdio: 'pipe' });
        } catch (e) {
          failures.push(f + ': ' + String(e.stderr).split('\\n').find((l) => l.includes('Error')));
        }
      }
      console.log(JSON.stringify({ count: modules.length, failures }));
    `);
    const { count, failures } = JSON.parse(out) as { count: number; failures: string[] };
    expect(count).toBeGreaterThan(40);
    expect(failures).toEqual([]);
  });
  it('ships type declarations', async () => {
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${root}packages/tensor/dist/index.d.ts`)).toBe(true);
  });
});

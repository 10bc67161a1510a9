// pnpm check:torch: jacobi's new operations against PyTorch (Debian's python3-torch), values
// and gradients in float64: the tensor ops (cases.mjs, reference.py) and @jacobi/nn's losses,
// clipping and schedules (nn-cases.mjs, nn-reference.py), and model files in PyTorch's layout
// both ways (model-files.mjs, model-files.py). Skips, saying so, where
// /usr/bin/python3 has no torch.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const python = '/usr/bin/python3';
if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
  console.log('check:torch skipped: no torch for /usr/bin/python3 (apt-get install python3-torch)');
  process.exit(0);
}
let status = 0;
for (const [cases, reference] of [
  ['./cases.mjs', './reference.py'],
  ['./nn-cases.mjs', './nn-reference.py'],
]) {
  const ours = execFileSync(process.execPath, [here(cases)], { encoding: 'utf8' });
  const result = spawnSync(python, [here(reference)], { input: ours, encoding: 'utf8' });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  if (result.status !== 0) status = result.status ?? 1;
}
// Model files with `layout: 'torch'`, both ways, for the examples' models (model-files.mjs).
const files = spawnSync(process.execPath, [here('./model-files.mjs')], { stdio: 'inherit' });
if (files.status !== 0) status = files.status ?? 1;
process.exit(status);

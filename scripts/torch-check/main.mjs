// pnpm check:torch: jacobi's new operations against PyTorch (Debian's python3-torch), values
// and gradients in float64. Skips, saying so, where /usr/bin/python3 has no torch.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const python = '/usr/bin/python3';
if (spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
  console.log('check:torch skipped: no torch for /usr/bin/python3 (apt-get install python3-torch)');
  process.exit(0);
}
const ours = execFileSync(process.execPath, [here('./cases.mjs')], { encoding: 'utf8' });
const result = spawnSync(python, [here('./reference.py')], { input: ours, encoding: 'utf8' });
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exit(result.status ?? 1);

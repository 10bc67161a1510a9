// saveModel under SIGKILL: a child process saves a model over and over and is killed at a
// random moment, many times. After every kill the file must be the old one or a newer one
// (it always loads, with every weight equal to one save's value, never going back), the
// temporaries of a killed save must not pile up (the next save removes them), and a final
// save leaves none. The child runs the built packages, which `pnpm test` builds first.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Dense, decodeModel } from '@jacobi/nn';
import { saveModel } from '@jacobi/nn/node';
import { announceSeed, fc } from '../support/properties.js';

announceSeed('kill-during-save');

const CHILD = fileURLToPath(new URL('./support/save-forever.mjs', import.meta.url));
const KILLS = 30;

/** Starts a saving child and kills it with SIGKILL `delayMs` after its first save. */
function killDuringSave(path: string, start: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, path, String(start)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.stdout.once('data', () => setTimeout(() => process.kill(child.pid!, 'SIGKILL'), delayMs));
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve() : reject(new Error(`the saving child exited with ${code}: ${stderr}`)),
    );
  });
}

/** The value every weight of the saved file holds (the file must load and be uniform). */
async function savedValue(path: string): Promise<number> {
  const layer = new Dense(64, 64, { bias: false });
  decodeModel(await readFile(path), layer, { file: path });
  const values = new Set(layer.weight.data());
  expect(values.size).toBe(1);
  return [...values][0]!;
}

const temporaries = async (dir: string) => (await readdir(dir)).filter((n) => n.endsWith('.tmp'));

describe('saveModel killed with SIGKILL', () => {
  it('always leaves the old or a newer file, and no pile of temporaries', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jacobi-kill-'));
    const path = join(dir, 'model.safetensors');
    const delays = fc.sample(fc.integer({ min: 0, max: 25 }), KILLS);
    let last = -1;
    for (const delay of delays) {
      await killDuringSave(path, last + 1, delay);
      const value = await savedValue(path);
      expect(value).toBeGreaterThanOrEqual(last + 1);
      last = value;
      // At most the one temporary the killed save was writing; the next save removes it.
      expect((await temporaries(dir)).length).toBeLessThanOrEqual(1);
    }
    await saveModel(path, new Dense(64, 64, { bias: false }));
    expect(await temporaries(dir)).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });
});

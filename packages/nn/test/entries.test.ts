import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../src', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );

describe('package entries', () => {
  it('keep Node APIs out of the browser-safe main entry', () => {
    const nodeOnly = new Set(['node.ts', join('io', 'node-files.ts')]);
    for (const f of files(src)) {
      const text = readFileSync(f, 'utf8');
      const name = relative(src, f);
      if (!nodeOnly.has(name)) {
        expect(text, name).not.toMatch(/from '(node:|fs|path|os)/);
        expect(text, name).not.toMatch(/\bprocess\.(env|argv|pid|stdout|stderr|exit|cwd)/);
      }
      // nn sees the tensor package only through its public entry.
      expect(text, name).not.toMatch(/@jacobi\/tensor\//);
    }
  });
  it('export the Node helpers from a separate entry', () => {
    const pkg = JSON.parse(readFileSync(join(src, '..', 'package.json'), 'utf8'));
    expect(Object.keys(pkg.exports)).toEqual(['.', './node']);
  });
});

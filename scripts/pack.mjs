// Packs the publishable packages exactly as `pnpm publish` would (prepack copies the LICENSE in;
// `workspace:*` becomes the version), after a fresh build, into a folder of the caller's choice.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../', import.meta.url));
export const PUBLISHED = ['tensor', 'nn', 'onnx'];

const pnpm = (args, cwd) =>
  execFileSync('npx', ['-y', 'pnpm@12.4.2', ...args], { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

/** Builds and packs every published package into `destination`; returns tarball paths by package folder name. */
export function packPublished(destination) {
  pnpm(['run', 'build'], root);
  const tarballs = {};
  for (const name of PUBLISHED) {
    pnpm(['pack', '--pack-destination', destination], `${root}packages/${name}`);
    const file = readdirSync(destination).find((f) => f.startsWith(`jacobi-${name}-`) && f.endsWith('.tgz'));
    if (!file) throw new Error(`pnpm pack wrote no tarball for @jacobi/${name} in ${destination}`);
    tarballs[name] = `${destination}/${file}`;
  }
  return tarballs;
}

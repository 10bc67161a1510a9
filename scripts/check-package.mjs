// Package hygiene of the tarballs as published: publint (package.json fields against the files
// shipped; warnings count as errors) and Are the Types Wrong (types resolve like the JavaScript
// does). attw runs with the esm-only profile: the packages are ES modules only, by design, so
// `require()` from CommonJS and TypeScript's legacy node10 resolution (which ignores `exports`,
// hence misses subpaths like '@jacobi/nn/node') are not supported targets; every ESM and
// bundler resolution must still be clean. Exits non-zero if any check reports a problem.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { packPublished, root } from './pack.mjs';

const bin = (name) => `${root}node_modules/.bin/${name}`;
const CHECKS = {
  publint: (tarball) => [bin('publint'), 'run', '--strict', tarball],
  attw: (tarball) => [bin('attw'), '--profile', 'esm-only', '--no-emoji', '--no-color', tarball],
};

const folder = mkdtempSync(`${tmpdir()}/jacobi-pack-`);
const failed = [];
try {
  for (const [name, tarball] of Object.entries(packPublished(folder))) {
    for (const [tool, command] of Object.entries(CHECKS)) {
      const [program, ...args] = command(tarball);
      const run = spawnSync(program, args, { encoding: 'utf8' });
      const ok = run.status === 0;
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${tool} @jacobi/${name}`);
      if (!ok) {
        console.log(`${run.stdout}${run.stderr}`);
        failed.push(`${tool} @jacobi/${name}`);
      }
    }
  }
} finally {
  rmSync(folder, { recursive: true, force: true });
}
console.log(failed.length ? `check:package failed: ${failed.join(', ')}` : 'check:package: publint and attw found no problems');
process.exit(failed.length ? 1 : 0);

// The pending changesets parse as changesets expects: front matter of `"package": bump` lines
// naming the published packages, then a description. (A formatter once turned one into a heading.)
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const folder = fileURLToPath(new URL('../.changeset/', import.meta.url));
const files = readdirSync(folder).filter((f) => f.endsWith('.md') && f !== 'README.md');

describe('changesets', () => {
  it('there are pending changesets', () => {
    expect(files.length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(`${file} has valid front matter and a description`, () => {
      const match = /^---\n((?:"@jacobi\/(?:tensor|nn|onnx)": (?:patch|minor|major)\n)+)---\n\s*\S/.exec(
        readFileSync(`${folder}${file}`, 'utf8'),
      );
      expect(match, `${file} must start with ---, lines like "@jacobi/tensor": minor, ---, then text`).not.toBeNull();
    });
  }
});

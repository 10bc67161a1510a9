// docs/onnx.md's mapping table says what ONNX_TABLE does, row for row.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ONNX_TABLE } from '../src/mapping.js';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(fileURLToPath(new URL('../../../docs/onnx.md', import.meta.url)), 'utf8');

describe('docs/onnx.md', () => {
  it('has one row per primitive with its ONNX operators or why it has none', () => {
    const rows = new Map([...doc.matchAll(/^\| `(\w+)`\s*\| (.+?)\s*\|$/gm)].map((m) => [m[1]!, m[2]!]));
    const want = new Map(Object.entries(ONNX_TABLE).map(([k, m]) => [k, 'unsupported' in m ? `— (${m.unsupported})` : m.onnx]));
    expect(rows).toEqual(want);
  });
});

// A README's example, run by Node against the installed tarballs: every
// `console.log(...); // value` line must print exactly its value, in order.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import ts from 'typescript';

/** The first ```ts block after `heading` (a whole line, e.g. "## A first taste"). */
export function exampleAfter(readme, heading) {
  const at = readme.indexOf(`\n${heading}\n`);
  const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (at < 0 || !block) throw new Error(`no "${heading}" section with a \`\`\`ts block`);
  return block[1];
}

// What a line promises to print: the comment after it, less a trailing "  (explanation)".
const promised = (code) =>
  code
    .split('\n')
    .filter((l) => /^console\.log\(.*\);\s*\/\/ /.test(l.trim()))
    .map((l) =>
      l
        .slice(l.indexOf('//') + 3)
        .split('  (')[0]
        .trim(),
    );

/** Runs the example in `folder` (where the packages are installed); returns a list of mismatches. */
export function checkReadmeExample(readmePath, heading, folder) {
  const code = exampleAfter(readFileSync(readmePath, 'utf8'), heading);
  const js = ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(`${folder}/readme-example.mjs`, js);
  const printed = execFileSync(process.execPath, ['readme-example.mjs'], { cwd: folder, encoding: 'utf8' }).trim().split('\n');
  const expected = promised(code);
  if (expected.length === 0) return ['the example promises no output (no `console.log(...); // value` line)'];
  const problems = [];
  if (printed.length !== expected.length) problems.push(`printed ${printed.length} lines, the README promises ${expected.length}`);
  expected.forEach((e, i) => {
    if (printed[i]?.trim() !== e) problems.push(`line ${i + 1}: README promises "${e}", printed "${printed[i] ?? ''}"`);
  });
  return problems;
}

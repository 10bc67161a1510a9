// The command line that runs one of the repository's scripts the way the current process was
// started, so that a printed next step works when pasted: under `npx -y pnpm@X iris` (the
// README's set-up, with no pnpm on the PATH) it is `npx -y pnpm@X <script>`; under plain
// `node` it is `node <file>`.
import { relative } from 'node:path';

/** Quotes an argument for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The shell command that runs root script `script` (e.g. `iris:predict`, built as `file`) with
 * `args`. `userAgent` is what pnpm puts in `npm_config_user_agent` (`pnpm/12.4.2 npm/? …`).
 */
export function scriptCommand(
  script: string,
  file: string,
  args: readonly string[],
  userAgent = process.env.npm_config_user_agent ?? '',
): string {
  const pnpm = /^pnpm\/(\d[\w.+-]*)/.exec(userAgent);
  const head = pnpm ? `npx -y pnpm@${pnpm[1]} ${script}` : `node ${shellWord(relative(process.cwd(), file) || file)}`;
  return [head, ...args.map(shellWord)].join(' ');
}

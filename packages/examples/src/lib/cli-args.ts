// A small strict flag parser for the examples: `--name value` or `--name=value`, typed by a
// spec; an unknown flag or a bad value is a UsageError with a message for the user.

/** A mistake on the command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** How to read one flag's value. */
export type FlagKind =
  | { kind: 'int'; min?: number }
  | { kind: 'number'; positive?: boolean }
  | { kind: 'intList'; min?: number }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'string' }
  | { kind: 'boolean' };

export interface FlagSpec {
  type: FlagKind;
  help: string;
}

type ValueOf<K extends FlagKind> = K extends { kind: 'int' | 'number' }
  ? number
  : K extends { kind: 'intList' }
    ? number[]
    : K extends { kind: 'boolean' }
      ? boolean
      : string;

export type ParsedFlags<S extends Record<string, FlagSpec>> = { [K in keyof S]?: ValueOf<S[K]['type']> };

function parseValue(flag: string, type: FlagKind, raw: string): number | number[] | string | boolean {
  const bad = (expected: string) => new UsageError(`--${flag}: expected ${expected}, got ${JSON.stringify(raw)}`);
  switch (type.kind) {
    case 'int': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(v) || v < (type.min ?? -Infinity))
        throw bad(type.min === undefined ? 'an integer' : `an integer ≥ ${type.min}`);
      return v;
    }
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v) || (type.positive && v <= 0))
        throw bad(type.positive ? 'a positive number' : 'a number');
      return v;
    }
    case 'intList': {
      const parts = raw.split(',').map((p) => p.trim());
      const vs = parts.map(Number);
      if (parts.some((p) => p === '') || vs.some((v) => !Number.isInteger(v) || v < (type.min ?? -Infinity))) {
        throw bad(`comma-separated integers${type.min === undefined ? '' : ` ≥ ${type.min}`} such as 16,8`);
      }
      return vs;
    }
    case 'choice':
      if (!type.choices.includes(raw)) throw bad(`one of ${type.choices.join(', ')}`);
      return raw;
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw bad('true or false');
      return raw === 'true';
    case 'string':
      if (raw === '') throw bad('a non-empty value');
      return raw;
  }
}

/** Parses `argv` against `spec`; returns the flags and the positional arguments. */
export function parseFlags<S extends Record<string, FlagSpec>>(
  argv: readonly string[],
  spec: S,
): { flags: ParsedFlags<S>; positional: string[] } {
  const flags: Record<string, unknown> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown flag --${name}`);
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (s.type.kind === 'boolean') raw = 'true';
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name}: missing value`);
      raw = argv[++i]!;
    }
    flags[name] = parseValue(name, s.type, raw);
  }
  return { flags: flags as ParsedFlags<S>, positional };
}

/** The flag table for `--help`. */
export function usage(command: string, spec: Record<string, FlagSpec>, intro: string): string {
  const rows = Object.entries(spec).map(([name, s]) => {
    const value =
      s.type.kind === 'boolean'
        ? ''
        : s.type.kind === 'choice'
          ? ' <name>'
          : s.type.kind === 'intList'
            ? ' <n,n,...>'
            : ` <${s.type.kind}>`;
    const help = s.type.kind === 'choice' ? `${s.help}; one of ${s.type.choices.join(', ')}` : s.help;
    return [`  --${name}${value}`, help] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return `${intro}\n\nUsage: ${command} [flags]\n\n${rows.map(([l, h]) => l.padEnd(width) + h).join('\n')}\n`;
}

/** Runs a CLI main: usage mistakes print a one-line message and exit 2, other errors exit 1. */
export async function runCli(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n(run with --help to see the flags)\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
      process.exitCode = 1;
    }
  }
}

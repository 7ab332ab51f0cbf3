// A small declared-flag parser shared by every `repath` subcommand.
//
// Each command declares its flags once (name, type, description); the parser accepts
// `--flag value` and `--flag=value`, checks types, and reports any problem as a UsageError whose
// message is one line naming the flag and the value, e.g. `--hosts: "abc" is not a positive
// integer`. main.ts prints it as `repath: <message>` and exits with code 2. node:util's parseArgs
// is not used because its messages are multi-clause and it has no typed numbers.

/** Exit code for a bad argument or bad input (sysexits' EX_USAGE is 64, but the issue fixes 2). */
export const EXIT_USAGE = 2;

/** A mistake by the caller: shown as one line, exit code 2, never a stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type FlagType = 'boolean' | 'string' | 'choice' | 'positiveInteger' | 'nonNegativeInteger' | 'number';

export interface FlagSpec {
  type: FlagType;
  description: string;
  /** One-letter alias, e.g. 'h' for -h. */
  short?: string;
  /** Allowed values for type 'choice'. */
  choices?: readonly string[];
  /** Name of the value in --help, e.g. 'FILE'. */
  valueName?: string;
  /** May be given more than once; the parsed value is an array (empty when absent). */
  multiple?: boolean;
  default?: string | number | boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type ValueOfType<T extends FlagType> = T extends 'boolean'
  ? boolean
  : T extends 'string' | 'choice'
    ? string
    : number;

export type ParsedFlags<S extends FlagSpecs> = {
  [K in keyof S]: S[K] extends { multiple: true }
    ? Array<ValueOfType<S[K]['type']>>
    : S[K] extends { default: string | number | boolean }
      ? ValueOfType<S[K]['type']>
      : ValueOfType<S[K]['type']> | undefined;
};

export interface PositionalSpec {
  /** Names for --help and error messages, in order, e.g. ['hex']. */
  names?: readonly string[];
  min?: number;
  /** Infinity for any number. */
  max?: number;
}

export interface ParsedArgs<S extends FlagSpecs> {
  flags: ParsedFlags<S>;
  positionals: string[];
}

/**
 * Parses `argv` (without the command words) against `specs`. A lone `-` is a positional (stdin);
 * `--` ends the flags. A value-taking flag takes the next word even if it starts with a single
 * `-` (so `--offset -5` works), but not a word starting with `--`, which means the value is missing.
 */
export function parseArgs<S extends FlagSpecs>(
  argv: readonly string[],
  specs: S,
  positionalSpec: PositionalSpec = { max: 0 },
): ParsedArgs<S> {
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.short !== undefined) byShort.set(spec.short, name);
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.multiple) values[name] = [];
    else if (spec.default !== undefined) values[name] = spec.default;
  }
  const positionals: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word === '-' || !word.startsWith('-')) {
      positionals.push(word);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    let shown: string;
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      name = eq === -1 ? word.slice(2) : word.slice(2, eq);
      inline = eq === -1 ? undefined : word.slice(eq + 1);
      shown = `--${name}`;
    } else {
      const long = byShort.get(word.slice(1));
      if (word.length !== 2 || long === undefined) throw new UsageError(`${word}: unknown option`);
      name = long;
      shown = word;
    }
    const spec = Object.prototype.hasOwnProperty.call(specs, name) ? specs[name] : undefined;
    if (spec === undefined) throw new UsageError(`${shown}: unknown option`);

    let value: string | boolean | number;
    if (spec.type === 'boolean') {
      if (inline === undefined) value = true;
      else if (inline === 'true') value = true;
      else if (inline === 'false') value = false;
      else throw new UsageError(`${shown}: ${JSON.stringify(inline)} is not true or false`);
    } else {
      let raw = inline;
      if (raw === undefined) {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('--') && next.length > 2) || next === '--') {
          throw new UsageError(`${shown}: missing value`);
        }
        raw = next;
        i++;
      }
      value = convert(shown, spec, raw);
    }
    if (spec.multiple) (values[name] as unknown[]).push(value);
    else values[name] = value;
  }

  const min = positionalSpec.min ?? 0;
  const max = positionalSpec.max ?? 0;
  const names = positionalSpec.names ?? [];
  if (positionals.length < min) {
    const missing = names[positionals.length] ?? 'argument';
    throw new UsageError(`missing <${missing}>`);
  }
  if (positionals.length > max) {
    throw new UsageError(`${JSON.stringify(positionals[max])}: unexpected argument`);
  }
  return { flags: values as ParsedFlags<S>, positionals };
}

function convert(shown: string, spec: FlagSpec, raw: string): string | number {
  switch (spec.type) {
    case 'string':
      return raw;
    case 'choice': {
      const choices = spec.choices ?? [];
      if (!choices.includes(raw)) {
        throw new UsageError(`${shown}: ${JSON.stringify(raw)} is not one of ${choices.join(', ')}`);
      }
      return raw;
    }
    case 'positiveInteger':
    case 'nonNegativeInteger': {
      const n = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
      const ok = Number.isSafeInteger(n) && (spec.type === 'nonNegativeInteger' || n > 0);
      if (!ok) {
        const what = spec.type === 'positiveInteger' ? 'a positive integer' : 'a non-negative integer';
        throw new UsageError(`${shown}: ${JSON.stringify(raw)} is not ${what}`);
      }
      return n;
    }
    case 'number': {
      const n = raw.trim() === '' ? NaN : Number(raw);
      if (!Number.isFinite(n)) throw new UsageError(`${shown}: ${JSON.stringify(raw)} is not a number`);
      return n;
    }
    default:
      return raw;
  }
}

/** The flag lines of a --help text, aligned. */
export function formatFlagHelp(specs: FlagSpecs): string {
  const rows: Array<[string, string]> = [];
  for (const [name, spec] of Object.entries(specs)) {
    const short = spec.short !== undefined ? `-${spec.short}, ` : '    ';
    const value = spec.type === 'boolean' ? '' : ` <${spec.valueName ?? valueNameOf(spec)}>`;
    let description = spec.description;
    if (spec.type === 'choice' && spec.choices) description += ` (${spec.choices.join('|')})`;
    if (spec.default !== undefined && spec.type !== 'boolean') description += ` [default: ${spec.default}]`;
    if (spec.multiple) description += ' (repeatable)';
    rows.push([`  ${short}--${name}${value}`, description]);
  }
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${left.padEnd(width)}  ${right}`).join('\n');
}

function valueNameOf(spec: FlagSpec): string {
  switch (spec.type) {
    case 'positiveInteger':
    case 'nonNegativeInteger':
      return 'N';
    case 'number':
      return 'X';
    default:
      return 'value';
  }
}

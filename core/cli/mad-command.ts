// `repath mad decode|encode|trace`: the MAD codec and the pcap trace writer on the command line.
import { readFileSync } from 'node:fs';
import { decodeMadJson, encodeMadJson, MadError } from '../mad/index.js';
import type { MadJson } from '../mad/index.js';
import { MadTraceWriter, readMadTrace } from '../trace/erf-pcap.js';
import { TraceError } from '../trace/trace-error.js';
import { UsageError, formatFlagHelp, parseArgs, type FlagSpecs } from './args.js';
import type { CliIo, Command } from './command.js';
import { parseHex, toHex } from './hex.js';

const HELP_FLAG = { help: { type: 'boolean', short: 'h', description: 'show this help' } } as const satisfies FlagSpecs;

const DECODE_FLAGS = {
  compact: { type: 'boolean', description: 'print the JSON on one line' },
  ...HELP_FLAG,
} as const satisfies FlagSpecs;

const ENCODE_FLAGS = { ...HELP_FLAG } as const satisfies FlagSpecs;

const TRACE_FLAGS = {
  out: { type: 'string', valueName: 'FILE', description: 'write the JSON lines read from stdin as a pcap file' },
  in: { type: 'string', valueName: 'FILE', description: 'print the MADs of a pcap file as JSON lines' },
  ...HELP_FLAG,
} as const satisfies FlagSpecs;

const SUBCOMMANDS = 'decode, encode, trace';

function help(): string {
  return `usage: repath mad <decode|encode|trace> [options]

  repath mad decode <hex>|-     decode a MAD (hex on the command line, or - for stdin) and print it as JSON
  repath mad encode             read that JSON on stdin and print the 256-byte MAD as hex
  repath mad trace --out FILE   read JSON lines {timestampNs, slid, dlid, srcQp, destQp, mad} on stdin
                                (mad: JSON as printed by decode, or hex) and write a pcap file that
                                Wireshark/tshark decode (link type ERF, InfiniBand records)
  repath mad trace --in FILE    print the MADs of such a pcap file as JSON lines

Hex may contain whitespace and 0x prefixes; a MAD shorter than 256 bytes is zero-padded.
A bad argument or input prints one line on stderr and exits with code 2.

decode options:
${formatFlagHelp(DECODE_FLAGS)}

trace options (srcQp and destQp default to 1, the GSI QP):
${formatFlagHelp(TRACE_FLAGS)}
`;
}

export const madCommand: Command = {
  name: 'mad',
  summary: 'decode and encode MADs (hex <-> JSON); write MAD traces for Wireshark',
  help,
  async run(argv: string[], io: CliIo): Promise<number> {
    const [sub, ...rest] = argv;
    switch (sub) {
      case undefined:
        throw new UsageError(`mad: missing subcommand (${SUBCOMMANDS})`);
      case '--help':
      case '-h':
      case 'help':
        io.stdout(help());
        return 0;
      case 'decode':
        return decode(rest, io);
      case 'encode':
        return encode(rest, io);
      case 'trace':
        return trace(rest, io);
      default:
        throw new UsageError(`mad: ${JSON.stringify(sub)} is not a subcommand (${SUBCOMMANDS})`);
    }
  },
};

async function decode(argv: string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseArgs(argv, DECODE_FLAGS, { names: ['hex'], min: 0, max: 1 });
  if (flags.help) {
    io.stdout(help());
    return 0;
  }
  const source = positionals[0];
  if (source === undefined) throw new UsageError('mad decode: missing <hex> (or - to read stdin)');
  const text = source === '-' ? new TextDecoder().decode(await io.readStdin()) : source;
  const bytes = parseHex(text, source === '-' ? 'mad decode: stdin' : 'mad decode: <hex>');
  const json = decodeMadJson(bytes);
  io.stdout(JSON.stringify(json, null, flags.compact ? undefined : 2) + '\n');
  return 0;
}

async function encode(argv: string[], io: CliIo): Promise<number> {
  const { flags } = parseArgs(argv, ENCODE_FLAGS);
  if (flags.help) {
    io.stdout(help());
    return 0;
  }
  const text = new TextDecoder().decode(await io.readStdin());
  const json = parseJson(text, 'mad encode: stdin');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UsageError('mad encode: stdin is not a JSON object');
  }
  io.stdout(toHex(encodeMadJson(json as MadJson)) + '\n');
  return 0;
}

function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') throw new UsageError(`${what}: no JSON given`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${what}: not JSON (${oneLine((err as Error).message)})`);
  }
}

async function trace(argv: string[], io: CliIo): Promise<number> {
  const { flags } = parseArgs(argv, TRACE_FLAGS);
  if (flags.help) {
    io.stdout(help());
    return 0;
  }
  if ((flags.out === undefined) === (flags.in === undefined)) {
    throw new UsageError('mad trace: give exactly one of --out FILE (write) or --in FILE (read)');
  }
  if (flags.in !== undefined) return traceRead(flags.in, io);
  return traceWrite(flags.out!, io);
}

const TRACE_LINE_FIELDS = ['timestampNs', 'slid', 'dlid', 'srcQp', 'destQp'] as const;

async function traceWrite(path: string, io: CliIo): Promise<number> {
  const lines = new TextDecoder().decode(await io.readStdin()).split('\n');
  const writer = new MadTraceWriter();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const where = `mad trace: stdin line ${i + 1}`;
    try {
      const record = parseJson(line, where);
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new UsageError(`${where}: not a JSON object`);
      }
      const r = record as Record<string, unknown>;
      const numbers: number[] = [];
      for (const field of TRACE_LINE_FIELDS) {
        const value = r[field] ?? (field === 'srcQp' || field === 'destQp' ? 1 : undefined);
        if (typeof value !== 'number') {
          throw new UsageError(`${where}: ${field}: ${JSON.stringify(value) ?? 'missing'} is not a number`);
        }
        numbers.push(value);
      }
      const mad = r.mad;
      let bytes: Uint8Array;
      if (typeof mad === 'string') bytes = parseHex(mad, `${where}: mad`);
      else if (typeof mad === 'object' && mad !== null && !Array.isArray(mad)) bytes = encodeMadJson(mad as MadJson);
      else throw new UsageError(`${where}: mad: ${JSON.stringify(mad) ?? 'missing'} is neither hex nor a decoded MAD object`);
      writer.add(numbers[0]!, numbers[1]!, numbers[2]!, numbers[3]!, numbers[4]!, bytes);
    } catch (err) {
      // Name the line for codec and trace errors too; usage errors already carry it.
      if (err instanceof MadError || err instanceof TraceError) throw new UsageError(`${where}: ${oneLine(err.message)}`);
      throw err;
    }
  }
  writer.writeFile(path);
  io.stderr(`mad trace: wrote ${writer.count} MAD${writer.count === 1 ? '' : 's'} to ${path}\n`);
  return 0;
}

async function traceRead(path: string, io: CliIo): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`mad trace: --in: cannot read ${JSON.stringify(path)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let out = '';
  for (const record of readMadTrace(bytes)) {
    const { mad, ...addressing } = record;
    let decoded: unknown;
    let madError: string | undefined;
    try {
      decoded = decodeMadJson(mad);
    } catch (err) {
      if (!(err instanceof MadError)) throw err;
      // Keep the bytes of a MAD the codec rejects: a trace tool must show everything it read.
      decoded = toHex(mad);
      madError = err.message;
    }
    out += JSON.stringify(madError === undefined ? { ...addressing, mad: decoded } : { ...addressing, mad: decoded, madError }) + '\n';
  }
  io.stdout(out);
  return 0;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMadTrace } from '../core/trace/erf-pcap.js';

const MAIN = fileURLToPath(new URL('../core/cli/main.js', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

interface Golden {
  mads: Array<{ name: string; hex: string; expect: Record<string, unknown> }>;
}
const golden = JSON.parse(readFileSync(new URL('../../test/fixtures/opensm-3.3.23-mads.json', import.meta.url), 'utf8')) as Golden;
const byName = (name: string) => golden.mads.find((m) => m.name === name)!;
const pathRecordGolden = byName('pathrecord-getresp');
const guidInfoGolden = byName('guidinforecord-set-getresp');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function repath(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** A bad argument or input: exit code 2, nothing on stdout, exactly one `repath: ...` line on stderr. */
function assertUsageError(t: ExecutionContext, run: Run, pattern: RegExp): void {
  t.is(run.status, 2, run.stderr);
  t.is(run.stdout, '');
  const lines = run.stderr.split('\n');
  t.is(lines.length, 2, `expected one line, got: ${run.stderr}`);
  t.is(lines[1], '');
  t.regex(lines[0]!, /^repath: /);
  t.regex(lines[0]!, pattern);
  t.false(run.stderr.includes('    at '), 'no stack trace');
}

/** Every field in `expected` (recursively) has the same value in `actual`. */
function assertSubset(t: ExecutionContext, actual: unknown, expected: unknown, path = ''): void {
  if (typeof expected === 'object' && expected !== null) {
    t.is(typeof actual, 'object', path);
    for (const [key, value] of Object.entries(expected)) {
      assertSubset(t, (actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
  } else {
    t.is(actual, expected, path);
  }
}

function padded(hex: string): string {
  return hex.padEnd(512, '0');
}

test('mad decode <hex> prints the golden PathRecord GetResp as JSON with the golden fields', async (t) => {
  const run = await repath(['mad', 'decode', pathRecordGolden.hex]);
  t.is(run.status, 0, run.stderr);
  t.is(run.stderr, '');
  const json = JSON.parse(run.stdout) as Record<string, unknown>;
  assertSubset(t, json, pathRecordGolden.expect);
  const pr = json.pathRecord as Record<string, unknown>;
  t.is(pr.dlid, 6);
  t.is(pr.slid, 4);
  t.is(pr.dgid, 'fe80:0000:0000:0000:0000:0000:0010:000a');
  t.is(json.transactionId, '0x0002000000001000');
});

test('mad decode accepts whitespace and 0x prefixes, and --compact prints one line', async (t) => {
  const spaced = '0x' + guidInfoGolden.hex.match(/.{1,8}/g)!.join('\n 0x');
  const run = await repath(['mad', 'decode', '--compact', spaced]);
  t.is(run.status, 0, run.stderr);
  t.is(run.stdout.trimEnd().split('\n').length, 1);
  assertSubset(t, JSON.parse(run.stdout), guidInfoGolden.expect);
});

test('mad encode turns the decoded JSON back into the zero-padded golden bytes', async (t) => {
  for (const mad of [pathRecordGolden, guidInfoGolden]) {
    const decoded = await repath(['mad', 'decode', mad.hex]);
    t.is(decoded.status, 0, decoded.stderr);
    const encoded = await repath(['mad', 'encode'], decoded.stdout);
    t.is(encoded.status, 0, encoded.stderr);
    t.regex(encoded.stdout, /^[0-9a-f]{512}\n$/);
    t.is(encoded.stdout.trimEnd(), padded(mad.hex), mad.name);
  }
});

test('round trip through stdin: decode - | encode | decode - gives the same JSON', async (t) => {
  const first = await repath(['mad', 'decode', '-'], pathRecordGolden.hex + '\n');
  t.is(first.status, 0, first.stderr);
  const encoded = await repath(['mad', 'encode'], first.stdout);
  t.is(encoded.status, 0, encoded.stderr);
  const second = await repath(['mad', 'decode', '-'], encoded.stdout);
  t.is(second.status, 0, second.stderr);
  t.deepEqual(JSON.parse(second.stdout), JSON.parse(first.stdout));
});

test('--version prints the package version; --help lists the commands', async (t) => {
  const version = await repath(['--version']);
  t.is(version.status, 0);
  t.is(version.stdout, `${PACKAGE.version}\n`);
  const help = await repath(['--help']);
  t.is(help.status, 0);
  t.regex(help.stdout, /^usage: repath <command>/);
  t.regex(help.stdout, /\n {2}mad {2,}decode and encode MADs/);
  t.regex(help.stdout, /\n {2}bench {2,}run the benchmark suites/);
  const madHelp = await repath(['mad', '--help']);
  t.is(madHelp.status, 0);
  t.regex(madHelp.stdout, /repath mad decode <hex>\|-/);
  t.regex(madHelp.stdout, /repath mad encode/);
  t.regex(madHelp.stdout, /repath mad trace --out FILE/);
  const benchHelp = await repath(['bench', '--help']);
  t.is(benchHelp.status, 0);
  t.regex(benchHelp.stdout, /--quick/);
});

test('bad hex: a non-hex digit, an odd number of digits, nothing at all', async (t) => {
  assertUsageError(t, await repath(['mad', 'decode', '0103zz']), /<hex>: "z" at digit 4 is not a hex digit$/);
  assertUsageError(t, await repath(['mad', 'decode', '01030']), /<hex>: 5 hex digits is an odd number/);
  assertUsageError(t, await repath(['mad', 'decode', '-'], '  \n'), /stdin: no hex digits given$/);
  assertUsageError(t, await repath(['mad', 'decode']), /missing <hex>/);
});

test('a MAD over 256 bytes, or one the codec rejects, names the field and the value', async (t) => {
  assertUsageError(t, await repath(['mad', 'decode', padded(pathRecordGolden.hex) + '00']), /257/);
  // Base version 2 instead of 1.
  assertUsageError(t, await repath(['mad', 'decode', '02' + pathRecordGolden.hex.slice(2)]), /baseVersion: 2/);
});

test('bad JSON for encode: not JSON, not an object, a field out of range', async (t) => {
  assertUsageError(t, await repath(['mad', 'encode'], '{"method": '), /mad encode: stdin: not JSON/);
  assertUsageError(t, await repath(['mad', 'encode'], '[1, 2]'), /stdin is not a JSON object/);
  assertUsageError(t, await repath(['mad', 'encode'], ''), /stdin: no JSON given/);
  const decoded = JSON.parse((await repath(['mad', 'decode', pathRecordGolden.hex])).stdout) as Record<string, Record<string, unknown>>;
  decoded.pathRecord!.dlid = 70000;
  assertUsageError(t, await repath(['mad', 'encode'], JSON.stringify(decoded)), /dlid.*70000/);
});

test('unknown flags, commands and subcommands: one line, exit 2', async (t) => {
  assertUsageError(t, await repath(['mad', 'decode', '--bogus', pathRecordGolden.hex]), /^repath: --bogus: unknown option$/);
  assertUsageError(t, await repath(['--bogus']), /^repath: --bogus: unknown option$/);
  assertUsageError(t, await repath([]), /^repath: missing command \(mad, run, bench, service, fuzz, dom0; see repath --help\)$/);
  assertUsageError(t, await repath(['frobnicate']), /"frobnicate" is not a command/);
  assertUsageError(t, await repath(['mad', 'explode']), /"explode" is not a subcommand/);
  assertUsageError(t, await repath(['bench', '--suite', 'nope']), /--suite: "nope" is not one of/);
  assertUsageError(t, await repath(['bench', '--only', 'nope']), /--only: "nope" is not a suite of default \(schemes\)/);
});

test('mad trace --out writes JSON lines (decoded or hex MADs) as a pcap; --in reads it back', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repath-cli-trace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'trace.pcap');
  const decoded = JSON.parse((await repath(['mad', 'decode', pathRecordGolden.hex])).stdout) as unknown;
  const lines = [
    JSON.stringify({ timestampNs: 1_000, slid: 1, dlid: 4, srcQp: 1, destQp: 1, mad: decoded }),
    '',
    JSON.stringify({ timestampNs: 2_500, slid: 4, dlid: 1, mad: guidInfoGolden.hex }),
  ];
  const written = await repath(['mad', 'trace', '--out', file], lines.join('\n') + '\n');
  t.is(written.status, 0, written.stderr);
  t.is(written.stderr, `mad trace: wrote 2 MADs to ${file}\n`);
  const records = [...readMadTrace(readFileSync(file))];
  t.deepEqual(
    records.map((r) => [r.timestampNs, r.slid, r.dlid, r.srcQp, r.destQp]),
    [
      [1_000, 1, 4, 1, 1],
      [2_500, 4, 1, 1, 1],
    ],
  );
  t.is(Buffer.from(records[0]!.mad).toString('hex'), padded(pathRecordGolden.hex));
  t.is(Buffer.from(records[1]!.mad).toString('hex'), padded(guidInfoGolden.hex));

  const read = await repath(['mad', 'trace', '--in', file]);
  t.is(read.status, 0, read.stderr);
  const back = read.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  t.is(back.length, 2);
  t.is(back[1]!.timestampNs, 2_500);
  assertSubset(t, back[1]!.mad, guidInfoGolden.expect);

  assertUsageError(t, await repath(['mad', 'trace', '--out', file], '{"timestampNs": 1, "slid": "x"}\n'), /stdin line 1: slid: "x" is not a number/);
  assertUsageError(
    t,
    await repath(['mad', 'trace', '--out', file], `{"timestampNs": 1, "slid": 70000, "dlid": 1, "mad": "${pathRecordGolden.hex}"}\n`),
    /stdin line 1: trace slid: 70000 is not a 16-bit LID/,
  );
  assertUsageError(t, await repath(['mad', 'trace']), /exactly one of --out FILE/);
  assertUsageError(t, await repath(['mad', 'trace', '--in', join(dir, 'missing.pcap')]), /cannot read .*missing\.pcap.*ENOENT/);
});

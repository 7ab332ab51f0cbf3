// Golden bytes from a real OpenSM 3.3.23 (through ibsim/umad2sim): every MAD decodes to the fields the
// fixture lists, and re-encoding the decoded JSON reproduces the original (zero-padded) bytes on every
// byte the codec owns. The bytes it does not own are listed below, explicitly, per attribute.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { decodeMadJson, encodeMadJson, MadView, MadError, type MadJson } from '../core/mad/index.js';

interface GoldenMad {
  name: string;
  origin: string;
  hex: string;
  expect: Record<string, unknown>;
}

const golden = JSON.parse(
  readFileSync(new URL('../../test/fixtures/opensm-3.3.23-mads.json', import.meta.url), 'utf8'),
) as { mads: GoldenMad[] };

/**
 * Fixture entries whose hex does not carry the fields listed under "expect". report-notice-trap64's
 * hex is byte-for-byte the trap-128 Report (Notice 0x81 000002 0080 0002 ..., LIDADDR 2) apart from the
 * TransactionID and the uninitialised bytes 232-234; its expected fields (type 3, producer 4, trap 64,
 * issuer LID 1, GIDs ...10:0001 / ...10:0007) appear nowhere in it. The entry must be re-captured; until
 * then its decode test asserts what the bytes really hold, and fails once the fixture is fixed (drop it
 * from this set then). A live trap 64 from OpenSM on ibsim is decoded in test/native-umad.test.ts.
 */
const FIXTURE_DEFECTS = new Set(['report-notice-trap64']);

function padded(hex: string): Uint8Array {
  const raw = Buffer.from(hex, 'hex');
  const out = new Uint8Array(256);
  out.set(raw);
  return out;
}

/** Paths where `actual` differs from the expected subset (objects: listed keys only; arrays: exactly). */
function mismatches(actual: unknown, expected: unknown, path = ''): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`];
    return expected.flatMap((e, i) => mismatches(actual[i], e, `${path}[${i}]`));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return [`${path}: ${JSON.stringify(actual)} is not an object`];
    const a = actual as Record<string, unknown>;
    return Object.entries(expected).flatMap(([k, e]) => mismatches(a[k], e, path ? `${path}.${k}` : k));
  }
  return actual === expected ? [] : [`${path}: ${JSON.stringify(actual)} != ${JSON.stringify(expected)}`];
}

/**
 * Per byte, the bits the codec owns (0xff = all). Built from the raw bytes, independently of the codec.
 * Not owned:
 *   all MADs: 18-19 (reserved)
 *   SA MADs: 46-47 (reserved); SA data after the first record
 *   PathRecord: +44 bits 6-4 (reserved), +58..63
 *   GUIDInfoRecord: +3..7
 *   InformInfo: +20..21, +31 bits 7-5, +32   (InformInfoRecord: +18..23, its InformInfo at +24 likewise, +60..63)
 *   Notice: NoticeCount (+8 bits 6-0, +9);
 *     traps 64-67: +10..15; traps 68/69: +15, +52..63; trap 128: +12..63; trap 144: +10..11, +14, +15 bits 7-1, +24..63
 *   ClassPortInfo: +32
 */
function ownedBits(x: Uint8Array): Uint8Array {
  const m = new Uint8Array(256).fill(0xff);
  const clear = (from: number, to: number): void => void m.fill(0, from, to);
  clear(18, 20);
  if (x[1] !== 0x03) return m;
  clear(46, 48);
  const base = 56;
  const attr = (x[16]! << 8) | x[17]!;
  const informInfo = (o: number): void => {
    clear(o + 20, o + 22);
    m[o + 31] = 0x1f;
    m[o + 32] = 0;
  };
  switch (attr) {
    case 0x0035:
      m[base + 44] = 0x8f;
      clear(base + 58, 256);
      break;
    case 0x0030:
      clear(base + 3, base + 8);
      clear(base + 72, 256);
      break;
    case 0x0003:
      informInfo(base);
      clear(base + 36, 256);
      break;
    case 0x00f3:
      clear(base + 18, base + 24);
      informInfo(base + 24);
      clear(base + 60, 256);
      break;
    case 0x0001:
      m[base + 32] = 0;
      clear(base + 72, 256);
      break;
    case 0x0002: {
      m[base + 8] = 0x80;
      m[base + 9] = 0;
      const generic = x[base]! >>> 7 === 1;
      const trap = (x[base + 4]! << 8) | x[base + 5]!;
      if (generic && trap >= 64 && trap <= 67) clear(base + 10, base + 16);
      else if (generic && (trap === 68 || trap === 69)) {
        m[base + 15] = 0;
        clear(base + 52, base + 64);
      } else if (generic && trap === 128) clear(base + 12, base + 64);
      else if (generic && trap === 144) {
        clear(base + 10, base + 12);
        m[base + 14] = 0;
        m[base + 15] = 0x01;
        clear(base + 24, base + 64);
      }
      clear(base + 80, 256);
      break;
    }
  }
  return m;
}

for (const mad of golden.mads) {
  if (FIXTURE_DEFECTS.has(mad.name)) {
    test(`golden ${mad.name}: the captured bytes are the trap-128 Report (fixture defect), decoded as such`, (t) => {
      const json = decodeMadJson(new Uint8Array(Buffer.from(mad.hex, 'hex')));
      const trap128 = golden.mads.find((m) => m.name === 'report-notice-trap128')!;
      t.deepEqual(mismatches(json, trap128.expect), []);
      t.notDeepEqual(mismatches(json, mad.expect), []);
    });
  } else {
    test(`golden ${mad.name}: decodes to the listed fields`, (t) => {
      const raw = new Uint8Array(Buffer.from(mad.hex, 'hex'));
      const json = decodeMadJson(raw);
      t.deepEqual(mismatches(json, mad.expect), []);
      // The short buffer and its zero-padded form decode identically.
      t.deepEqual(decodeMadJson(padded(mad.hex)), json);
    });
  }

  test(`golden ${mad.name}: encode(decode(x)) reproduces every owned byte`, (t) => {
    const x = padded(mad.hex);
    const encoded = encodeMadJson(decodeMadJson(new Uint8Array(Buffer.from(mad.hex, 'hex'))));
    const owned = ownedBits(x);
    const differing: number[] = [];
    const strayBits: number[] = [];
    for (let i = 0; i < 256; i++) {
      if ((encoded[i]! & owned[i]!) !== (x[i]! & owned[i]!)) differing.push(i);
      if ((encoded[i]! & ~owned[i]! & 0xff) !== 0) strayBits.push(i);
    }
    t.deepEqual(differing, [], 'owned bytes that differ');
    t.deepEqual(strayBits, [], 'encode writes zero where it owns nothing');
  });

  test(`golden ${mad.name}: MadView reads the same fields in place`, (t) => {
    const x = padded(mad.hex);
    const view = new MadView().wrap(x);
    t.is(view.bytes, x, 'a 256-byte buffer is used in place');
    const expect = mad.expect as { method: number; attributeId: number; status?: number; attributeOffset?: number };
    t.is(view.method, expect.method);
    t.is(view.attributeId, expect.attributeId);
    if (expect.status !== undefined) t.is(view.status, expect.status);
    if (expect.attributeOffset !== undefined) t.is(view.attributeOffset, expect.attributeOffset);
  });
}

test('golden: the Notice count and the bytes after the Notice are ignored (OpenSM leaves them uninitialised)', (t) => {
  const trap128 = golden.mads.find((m) => m.name === 'report-notice-trap128')!;
  const x = padded(trap128.hex);
  const reference = decodeMadJson(x);
  const garbled = x.slice();
  garbled[56 + 8] = (garbled[56 + 8]! & 0x80) | 0x5a; // NoticeCount high bits
  garbled[56 + 9] = 0xa5;
  for (let i = 56 + 80; i < 256; i++) garbled[i] = (i * 37) & 0xff;
  for (let i = 56 + 12; i < 56 + 64; i++) garbled[i] = 0xee; // trap 128 DataDetails after LIDADDR
  t.deepEqual(decodeMadJson(garbled), reference);
});

test('golden: trap 64 with the fixture\'s expected fields round-trips (the fixture hex itself is defective)', (t) => {
  const entry = golden.mads.find((m) => m.name === 'report-notice-trap64')!;
  const expect = entry.expect as unknown as MadJson;
  const bytes = encodeMadJson({ ...expect, transactionId: '0x0000000202dab009' });
  const json = decodeMadJson(bytes);
  t.deepEqual(mismatches(json, entry.expect), []);
  t.deepEqual(Array.from(bytes.subarray(56, 62)), [0x83, 0x00, 0x00, 0x04, 0x00, 0x40]);
  // The GID of traps 64-67 sits at Notice +16 = MAD byte 72.
  t.is(Buffer.from(bytes.subarray(72, 88)).toString('hex'), 'fe800000000000000000000000100007');
});

test('golden: every entry is either decodable or fails only with MadError', (t) => {
  for (const mad of golden.mads) {
    try {
      decodeMadJson(new Uint8Array(Buffer.from(mad.hex, 'hex')));
    } catch (e) {
      t.true(e instanceof MadError, `${mad.name}: ${String(e)}`);
    }
  }
  t.true(golden.mads.length >= 6);
});

// The fuzzer's input generator: seeded, allocation-free per input. Three kinds of input:
//   random      256 random bytes (for the decoder also a random length 0..319);
//   structured  a plausible header (version, class, method, attribute from the lists below)
//               over a random body, to get past the first checks;
//   mutated     a corpus MAD (golden OpenSM MADs, MADs the engine produced) with 1..6 edits:
//               bit flips, interesting bytes and words, header fields, RMPP flags, splices,
//               runs of 0x00/0xFF, and this subnet's own LIDs and GUIDs written into the record.
import { Xoshiro128 } from '../random.js';

export const FUZZ_BUFFER = 320;

const CLASSES = [0x01, 0x81, 0x03, 0x04, 0x06, 0x07, 0x0a, 0x21, 0x00, 0xff];
const METHODS = [0x01, 0x02, 0x03, 0x05, 0x06, 0x07, 0x12, 0x13, 0x14, 0x15, 0x81, 0x86, 0x92, 0x94, 0x95, 0x00, 0x7f, 0xff];
const ATTRS = [0x0001, 0x0002, 0x0003, 0x0011, 0x0012, 0x0020, 0x0030, 0x0031, 0x0035, 0x0038, 0x003a, 0x00f3, 0x0000, 0xffff];
const BYTES = [0x00, 0x01, 0x02, 0x7f, 0x80, 0x81, 0xfe, 0xff];
const WORDS = [0x0000, 0x0001, 0x00ff, 0x7fff, 0x8000, 0xbfff, 0xc000, 0xfffe, 0xffff];

export const InputKind = { Random: 0, Structured: 1, Mutated: 2 } as const;

export interface MutatorOptions {
  /** 256-byte MADs to mutate. */
  readonly corpus: readonly Uint8Array[];
  /** LIDs and GUID halves of the subnet under test, written into records to reach deeper checks. */
  readonly lids?: readonly number[];
  readonly guids?: Uint32Array;
  /** Vary the length (decoder only: the transports always deliver 256 bytes). */
  readonly varyLength?: boolean;
}

export class MadMutator {
  readonly out = new Uint8Array(FUZZ_BUFFER);
  lastKind = 0;
  private readonly rng: Xoshiro128;
  private readonly corpus: readonly Uint8Array[];
  private readonly lids: readonly number[];
  private readonly guids: Uint32Array;
  private readonly varyLength: boolean;

  constructor(seed: number, stream: number, o: MutatorOptions) {
    if (o.corpus.length === 0) throw new RangeError('MadMutator corpus: empty (at least one MAD is needed)');
    for (const m of o.corpus) if (m.length !== 256) throw new RangeError(`MadMutator corpus: a MAD of ${m.length} bytes (256 expected)`);
    this.rng = new Xoshiro128(seed, stream);
    this.corpus = o.corpus;
    this.lids = o.lids ?? [1];
    this.guids = o.guids ?? new Uint32Array(2);
    this.varyLength = o.varyLength ?? false;
  }

  /** Writes the next input into `out`; returns its length. */
  next(): number {
    const r = this.rng;
    const b = this.out;
    const roll = r.nextInt(100);
    if (roll < 10) {
      this.lastKind = InputKind.Random;
      r.fillBytes(b);
    } else if (roll < 30) {
      this.lastKind = InputKind.Structured;
      r.fillBytes(b);
      b[0] = r.nextInt(8) === 0 ? r.nextInt(4) : 1;
      b[1] = pick(r, CLASSES);
      b[2] = b[1] === 0x03 ? 2 : 1;
      b[3] = pick(r, METHODS);
      b[4] = 0;
      b[5] = 0;
      setU16(b, 16, pick(r, ATTRS));
      if (r.nextInt(2) === 0) b.fill(0, 24, 36); // no RMPP
    } else {
      this.lastKind = InputKind.Mutated;
      b.set(this.corpus[r.nextInt(this.corpus.length)]!);
      b.fill(0, 256);
      const edits = 1 + r.nextInt(6);
      for (let i = 0; i < edits; i++) this.edit();
    }
    if (this.varyLength && r.nextInt(10) === 0) return r.nextInt(FUZZ_BUFFER);
    return 256;
  }

  private edit(): void {
    const r = this.rng;
    const b = this.out;
    switch (r.nextInt(10)) {
      case 0:
        b[r.nextInt(256)]! ^= 1 << r.nextInt(8);
        return;
      case 1:
        b[r.nextInt(256)] = r.nextU32() & 0xff;
        return;
      case 2:
        b[r.nextInt(256)] = pick(r, BYTES);
        return;
      case 3: {
        // A header field.
        switch (r.nextInt(9)) {
          case 0:
            b[0] = r.nextInt(3);
            return;
          case 1:
            b[1] = pick(r, CLASSES);
            return;
          case 2:
            b[2] = pick(r, [0, 1, 2, 3, 0x80]);
            return;
          case 3:
            b[3] = pick(r, METHODS);
            return;
          case 4:
            setU16(b, 4, pick(r, WORDS));
            return;
          case 5:
            setU16(b, 16, pick(r, ATTRS));
            return;
          case 6:
            setU16(b, 44, pick(r, [0, 1, 2, 8, 9, 0x20, 0xffff])); // AttributeOffset
            return;
          case 7:
            b[24] = pick(r, [0, 1, 2]); // RMPP version
            b[25] = pick(r, [0, 1, 2, 3, 4, 5]); // RMPP type
            b[26] = pick(r, [0, 1, 3, 5, 7, 0xff]); // RMPP flags (bit 0 = active)
            return;
          default:
            setU32(b, 48, r.nextU32()); // component mask
            setU32(b, 52, r.nextU32());
            return;
        }
      }
      case 4: {
        const o = 56 + 2 * r.nextInt(100);
        setU16(b, o, pick(r, WORDS));
        return;
      }
      case 5: {
        const other = this.corpus[r.nextInt(this.corpus.length)]!;
        const from = r.nextInt(256);
        const len = 1 + r.nextInt(256 - from);
        b.set(other.subarray(from, from + len), from);
        return;
      }
      case 6: {
        const from = r.nextInt(256);
        const len = 1 + r.nextInt(Math.min(64, 256 - from));
        b.fill(r.nextInt(2) === 0 ? 0 : 0xff, from, from + len);
        return;
      }
      case 7: {
        const o = 56 + 2 * r.nextInt(99);
        setU16(b, o, this.lids[r.nextInt(this.lids.length)]!);
        return;
      }
      case 8: {
        const g = r.nextInt(this.guids.length >>> 1);
        const o = 56 + 8 * r.nextInt(25);
        setU32(b, o, this.guids[2 * g]!);
        setU32(b, o + 4, this.guids[2 * g + 1]!);
        return;
      }
      default:
        b[3] = pick(r, METHODS);
        setU16(b, 16, pick(r, ATTRS));
        return;
    }
  }
}

function pick<T>(r: Xoshiro128, list: readonly T[]): T {
  return list[r.nextInt(list.length)]!;
}

function setU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

function setU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

// Where a MAD lives, and big-endian helpers over Uint8Arrays.
//
// BytesRef is the one binding every view of a MAD reads through: rebinding it rebinds all views.
// The MAD is the 256 bytes at `base` within `bytes` (a lone 256-byte array, or a whole ring of slots);
// single bytes are read from `bytes`, 16- and 32-bit fields through `dv`, a DataView over the whole
// buffer behind `bytes`, at `dvBase` (= bytes.byteOffset + base).
//
// Why a DataView: a getter that reads a u32 with byte arithmetic spends two to three times more of the
// caller's V8 inlining budget than a DataView getter (which TurboFan turns into one load and a byte
// swap); once a hot loop reading a dozen fields has spent that budget, the remaining getters become
// calls and every u32 above 2^30 a heap number, i.e. an allocation per MAD. Measured speeds of the two
// were within noise of each other when both inline; the DataView form also keeps inlining.
// Why slots: in Node 20 reading a typed array's .buffer or .byteOffset is a runtime call (tens of ns),
// so binding is cheap only for an array already seen. bindAt(ring, offset) over one ring array costs a
// store and an identity compare; bind(u8) of a new array pays the two lookups once per new array.

export class BytesRef {
  /** The array the MAD lives in. */
  bytes: Uint8Array;
  /** Index of the MAD's byte 0 within `bytes`. */
  base: number;
  /** DataView over the whole buffer behind `bytes`. */
  dv: DataView;
  /** Index of the MAD's byte 0 within `dv`. */
  dvBase: number;
  private known: Uint8Array;
  private knownByteOffset: number;
  private buffer: ArrayBufferLike;

  constructor(bytes: Uint8Array = new Uint8Array(256)) {
    this.bytes = bytes;
    this.base = 0;
    this.known = bytes;
    this.knownByteOffset = bytes.byteOffset;
    this.buffer = bytes.buffer;
    this.dv = new DataView(bytes.buffer);
    this.dvBase = bytes.byteOffset;
  }

  /** Binds the MAD at bytes[base .. base + 256). */
  bindAt(bytes: Uint8Array, base: number): void {
    if (bytes !== this.known) this.learn(bytes);
    this.bytes = bytes;
    this.base = base;
    this.dvBase = this.knownByteOffset + base;
  }

  /** Binds a MAD that is the array itself. */
  bind(bytes: Uint8Array): void {
    this.bindAt(bytes, 0);
  }

  /** The MAD's 256 bytes as their own array: `bytes` itself, or a subarray (allocated) inside a ring. */
  mad(): Uint8Array {
    const b = this.bytes;
    return this.base === 0 && b.length === 256 ? b : b.subarray(this.base, this.base + 256);
  }

  private learn(bytes: Uint8Array): void {
    this.known = bytes;
    this.knownByteOffset = bytes.byteOffset;
    const buffer = bytes.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      this.dv = new DataView(buffer);
    }
  }
}

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u24(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function setU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function setU24(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 16;
  b[o + 1] = v >>> 8;
  b[o + 2] = v;
}

export function setU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

const HEX = '0123456789abcdef';

/** Lower-case hex of b[o..o+n), for JSON and error text (not for hot paths). */
export function toHex(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = o; i < o + n; i++) s += HEX[b[i]! >>> 4]! + HEX[b[i]! & 15]!;
  return s;
}

/** Two u32 halves as the golden file's 64-bit form: "0x%016x", and "0x0" for zero. */
export function u64Hex(high: number, low: number): string {
  if (high === 0 && low === 0) return '0x0';
  return '0x' + (high >>> 0).toString(16).padStart(8, '0') + (low >>> 0).toString(16).padStart(8, '0');
}

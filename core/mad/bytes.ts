// Where a MAD lives, and big-endian helpers over Uint8Arrays.
//
// BytesRef is the one binding every view of a MAD reads through: rebinding it rebinds all views.
// The MAD is the 256 bytes at `base` within `bytes` (a lone 256-byte array, or a whole ring of slots);
// `dv` is a DataView over the whole buffer behind `bytes` and `dvBase` (= bytes.byteOffset + base) the
// MAD's byte 0 within it.
//
// Why field windows: V8 inlines a function of at most 27 bytecode bytes wherever it is called, whatever
// the caller's inlining budget (920 bytes per optimised function, shared by everything inlined into
// it); larger ones compete for that budget, and what wins depends on which callee happened to be
// optimised first (V8 charges a callee's own optimised code's inlined size against the caller). The
// old getters, `this.ref.dv.getUint16(this.ref.dvBase + this.offset + 4)`, were 34-49 bytes: a consumer
// reading a dozen fields after wrap() ran out of budget and, in about two processes in three, left
// five getters as calls (45-65 ns per Notice instead of 25). A getter of the form
// `const w = this.win; return w.getUint16(w.base + 4)` is 24 bytes, so it is always inlined: every
// view holds a FieldWindow, a DataView that starts at the view's own offset within the MAD and carries
// the bound MAD's position as a field. Binding stores that position into each of this ref's windows
// (one per distinct view offset, a handful); a new buffer (rare: rings and slabs are one buffer) makes
// new windows and hands them to the views.
// Why slots: in Node 20 reading a typed array's .buffer or .byteOffset is a runtime call (tens of ns),
// so binding is cheap only for an array already seen. bindAt(ring, offset) over one ring array costs a
// store per window and an identity compare; bind(u8) of a new array pays the two lookups once.
// Why bindKnown() is its own method: a hot caller (MadView.wrapSlot) binds the array it already knows
// and calls learn() only on its own, rare, miss. V8 inlines a call site by the feedback of the function
// it sits in, and bindAt's learn() call is hit on every MAD by callers that wrap fresh arrays; had the
// slot path gone through bindAt, learn() (and the window constructors under it) would be inlined into
// it and eat the caller's inlining budget (see MadView.wrapSlot).

/**
 * A DataView over a MAD's buffer that starts `offset` bytes into every MAD (a view's own start), with
 * `base` = the bound MAD's byte 0 within the buffer: field K of the view is at `base + K`.
 */
export class FieldWindow extends DataView<ArrayBufferLike> {
  /** Index within the buffer of the bound MAD's byte 0 (BytesRef.dvBase). */
  base = 0;
}

/** Called with the view's new window when the bound buffer changes. */
export type WindowChange = (w: FieldWindow) => void;

export class BytesRef {
  /** The array the MAD lives in. */
  bytes: Uint8Array;
  /** Index of the MAD's byte 0 within `bytes`. */
  base: number;
  /** DataView over the whole buffer behind `bytes` (the window at offset 0). */
  dv: FieldWindow;
  /** bytes.byteOffset, read once per array by learn(). */
  private knownByteOffset: number;
  /** The largest MAD index in `bytes` (bytes.length - 256): bindKnown's callers check offsets against it. */
  lastMad: number;
  private buffer: ArrayBufferLike;
  /** One window per distinct view offset, and those offsets (windowOffsets[i] is windows[i]'s). */
  private windows: FieldWindow[];
  private readonly windowOffsets: number[];
  /** Every view reading through a window of this ref (its setter), and the offset of each. */
  private readonly users: WindowChange[] = [];
  private readonly userOffsets: number[] = [];

  constructor(bytes: Uint8Array = new Uint8Array(256)) {
    this.bytes = bytes;
    this.base = 0;
    this.knownByteOffset = bytes.byteOffset;
    this.lastMad = bytes.length - 256;
    this.buffer = bytes.buffer;
    this.dv = new FieldWindow(bytes.buffer);
    this.dv.base = bytes.byteOffset;
    this.windows = [this.dv];
    this.windowOffsets = [0];
  }

  /** Index of the MAD's byte 0 within `dv` (dv is the window at offset 0). */
  get dvBase(): number {
    return this.dv.base;
  }

  /** Binds the MAD at bytes[base .. base + 256). */
  bindAt(bytes: Uint8Array, base: number): void {
    if (bytes !== this.bytes) this.learn(bytes);
    this.bindKnown(base);
  }

  /** Binds the MAD at bytes[base .. base + 256) of the array already bound: a store per window, no calls. */
  bindKnown(base: number): void {
    this.base = base;
    const p = this.knownByteOffset + base;
    const w = this.windows;
    for (let i = 0; i < w.length; i++) w[i]!.base = p;
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

  /**
   * Returns the window for fields that start `offset` bytes into the MAD (shared by every view at that
   * offset) and keeps `onChange` to hand the view a new window when the buffer changes: build views
   * once per ref (as MadView does), not per MAD.
   */
  window(offset: number, onChange: WindowChange | null): FieldWindow {
    let i = this.windowOffsets.indexOf(offset);
    if (i < 0) {
      i = this.windows.length;
      this.windows.push(this.makeWindow(offset));
      this.windowOffsets.push(offset);
    }
    if (onChange !== null) {
      this.users.push(onChange);
      this.userOffsets.push(offset);
    }
    return this.windows[i]!;
  }

  private makeWindow(offset: number): FieldWindow {
    // A view placed beyond a short buffer reads out of range either way; clamp so building it does not throw.
    const w = new FieldWindow(this.buffer, Math.min(offset, this.buffer.byteLength));
    w.base = this.dv.base;
    return w;
  }

  /**
   * Makes `bytes` the bound array (binding MAD 0 of it until bindKnown): reads its byteOffset and
   * length, and makes new windows if its buffer is new.
   */
  learn(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.base = 0;
    this.knownByteOffset = bytes.byteOffset;
    this.lastMad = bytes.length - 256;
    const buffer = bytes.buffer;
    if (buffer !== this.buffer) {
      this.buffer = buffer;
      const offsets = this.windowOffsets;
      const windows: FieldWindow[] = [];
      for (let i = 0; i < offsets.length; i++) windows.push(this.makeWindow(offsets[i]!));
      this.windows = windows;
      this.dv = windows[0]!;
      const users = this.users;
      for (let i = 0; i < users.length; i++) users[i]!(windows[offsets.indexOf(this.userOffsets[i]!)]!);
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

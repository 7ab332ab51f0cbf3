// The SM's LID-vGUID table: vGUID -> (LID, port, host, state) — who holds each virtual GUID
// and at which LID peers reach it. PathRecord queries and Algorithm 1 read it on every
// GUIDInfo Set, so it lives in one flat SharedArrayBuffer with no object per vGUID.
//
// Slot layout, 4 u32 words = 16 bytes:
//   [0] vGUID high   [1] vGUID low
//   [2] LID (bits 0-15) | state (bits 16-18) | port (bits 19-31, 0..8191)
//   [3] host index (full u32)
// At the default working load factor 0.75 that is 16 / 0.75 = 21.3 bytes per entry, under
// the 24-byte budget; the slot count is capacity/0.75 exactly (no power-of-two rounding).
// After a growth (capacity doubles) the load halves until it refills: bytesPerEntry reports
// the real figure either way.
import { GuidSlots, DEFAULT_MAX_LOAD, guidHash, homeAt, type GuidSlotsOptions, type GuidSlotsShared } from './guid-slots.js';
import { checkRange, checkU32 } from './table-error.js';

const TABLE = 'LidVguidTable';
const STRIDE = 4;
/** Lookups per group in lidMany(): one group's misses are in flight while the previous group is probed. */
const GROUP = 16;
/** u32 words in a 64-byte cache line. */
const LINE_WORDS = 16;
/**
 * Tables smaller than this take lidMany() one lookup after another, with no touch pass: while
 * a table fits the last-level cache (32 MiB on the machine measured) the out-of-order core
 * already keeps several independent lookups' misses in flight, and the pipeline's extra
 * passes (homes stored and reloaded, two touching loads per lookup) cost more than they
 * save: 33.6-38.6 against 28-31 ns per lookup at 10^5 entries (2.1 MB), where at 10^7
 * (213 MB) the pipeline gives 82-90 against 99-112 (same process, side by side).
 */
const PIPELINE_MIN_BYTES = 32 * 2 ** 20;
/** Receives the touched words in lidMany() so the JIT cannot drop the touching loads. */
let touchSink = 0;
export const MAX_PORT_INDEX = 0x1fff;
export const MAX_STATE = 7;

/** Life-cycle state of a vGUID as the SM tracks it (seed [0057]-[0058]). */
export const VguidState = {
  Running: 1,
  Suspended: 2,
  Migrating: 3,
  Gone: 4,
} as const;
export type VguidState = (typeof VguidState)[keyof typeof VguidState];

export type LidVguidTableShared = GuidSlotsShared;

export class LidVguidTable {
  private core: GuidSlots;
  /** Home slots of the group being probed and of the next one (lidMany's double buffer). */
  private homes = new Int32Array(2 * GROUP);

  constructor(capacity: number, options: GuidSlotsOptions = {}) {
    this.core = GuidSlots.create(TABLE, capacity, STRIDE, options);
  }

  static fromShared(s: LidVguidTableShared): LidVguidTable {
    const t = Object.create(LidVguidTable.prototype) as LidVguidTable;
    t.core = new GuidSlots(TABLE, s.buffer);
    t.homes = new Int32Array(2 * GROUP);
    return t;
  }

  toShared(): LidVguidTableShared {
    return { buffer: this.core.buffer };
  }

  /** Designed bytes per entry at load factor `load` (16-byte slots): 21.3 at 0.75. */
  static bytesPerEntry(load = DEFAULT_MAX_LOAD): number {
    return (STRIDE * 4) / load;
  }

  /** Real bytes per stored entry now: whole buffer (header included) over entries. */
  get bytesPerEntry(): number {
    return this.core.byteLength / this.core.size;
  }

  get byteLength(): number {
    return this.core.byteLength;
  }

  get size(): number {
    return this.core.size;
  }

  get capacity(): number {
    return this.core.limit;
  }

  get isStale(): boolean {
    return this.core.isStale;
  }

  /**
   * Inserts or overwrites the vGUID's record. lid 0..0xffff, port 0..8191, host u32,
   * state 0..7 (VguidState). Throws RangeError naming the field otherwise.
   */
  set(high: number, low: number, lid: number, port: number, host: number, state: number): void {
    checkRange(TABLE, 'lid', lid, 0xffff);
    checkRange(TABLE, 'port', port, MAX_PORT_INDEX);
    checkU32(TABLE, 'host', host);
    checkRange(TABLE, 'state', state, MAX_STATE);
    const b = this.core.insertSlot(high, low) * STRIDE;
    const w = this.core.w;
    w[b + 2] = (lid | (state << 16) | (port << 19)) >>> 0;
    w[b + 3] = host;
  }

  /**
   * LID of the vGUID, or -1 when absent. The probe of GuidSlots.find written out with the
   * stride a constant: the slot address is a shift, not a multiply by a field read at run
   * time, one step less on the hash -> address -> load chain every lookup waits for.
   */
  lid(high: number, low: number): number {
    high >>>= 0;
    low >>>= 0;
    if ((high | low) === 0) return -1;
    const core = this.core;
    const w = core.w;
    const n = core.slots;
    let s = homeAt(guidHash(high, low), core.scale);
    for (;;) {
      const b = s * STRIDE;
      const kl = w[b + 1]!;
      const kh = w[b]!;
      if (kl === low && kh === high) return w[b + 2]! & 0xffff;
      if ((kh | kl) === 0) return -1;
      if (++s === n) s = 0;
    }
  }

  /**
   * Batched lid(): out[i] = lid(highs[from + i], lows[from + i]) for i < count (-1 when
   * absent). For a big table each lookup is a cache (and TLB) miss, and a single lookup's
   * data-dependent branches stop the CPU from running ahead to the next one's load: a
   * mispredicted probe exit discards the work issued after it. Here lookups go in groups of
   * GROUP, software-pipelined: while group g is probed, group g + 1's home slots have already
   * been computed (a pass of arithmetic only) and touched (a tight pass of independent loads,
   * so many misses are in flight at once, older than any mispredicted branch of group g's
   * probes and never discarded). Each touch reads the home slot's cache line and the line 64
   * bytes on: a probe run at load 0.75 crosses into the next line for about a fifth of the
   * lookups, which would otherwise pay a second, serial miss. For an SA answering many
   * PathRecord queries at once. Tables under PIPELINE_MIN_BYTES skip the pipeline (see there).
   */
  lidMany(highs: Uint32Array, lows: Uint32Array, from: number, count: number, out: Int32Array): void {
    if (from < 0 || count < 0 || from + count > highs.length || from + count > lows.length || count > out.length) {
      throw new RangeError(`${TABLE}: lidMany from ${from} count ${count} exceeds highs (${highs.length}), lows (${lows.length}) or out (${out.length})`);
    }
    if (this.core.byteLength < PIPELINE_MIN_BYTES) {
      for (let i = 0; i < count; i++) out[i] = this.lid(highs[from + i]!, lows[from + i]!);
      return;
    }
    const w = this.core.w;
    const n = this.core.slots;
    const scale = this.core.scale;
    const last = w.length - 1;
    const homes = this.homes;
    let touch = 0;
    // Group 0's homes, touched; each later group's are touched while the one before is probed.
    for (let k = 0, m = Math.min(GROUP, count); k < m; k++) homes[k] = homeAt(guidHash(highs[from + k]!, lows[from + k]!), scale);
    for (let k = 0, m = Math.min(GROUP, count); k < m; k++) {
      const b = homes[k]! * STRIDE;
      touch ^= w[b + 1]! ^ w[Math.min(b + 1 + LINE_WORDS, last)]!;
    }
    for (let g = 0, cur = 0; g < count; g += GROUP, cur ^= GROUP) {
      const ahead = cur ^ GROUP;
      const a = from + g + GROUP;
      const am = Math.min(GROUP, count - g - GROUP);
      for (let k = 0; k < am; k++) homes[ahead + k] = homeAt(guidHash(highs[a + k]!, lows[a + k]!), scale);
      for (let k = 0; k < am; k++) {
        const b = homes[ahead + k]! * STRIDE;
        touch ^= w[b + 1]! ^ w[Math.min(b + 1 + LINE_WORDS, last)]!;
      }
      for (let k = 0, m = Math.min(GROUP, count - g); k < m; k++) {
        const high = highs[from + g + k]!;
        const low = lows[from + g + k]!;
        let lid = -1;
        if ((high | low) !== 0) {
          let s = homes[cur + k]!;
          for (;;) {
            const b = s * STRIDE;
            const kh = w[b]!;
            const kl = w[b + 1]!;
            if (kl === low && kh === high) {
              lid = w[b + 2]! & 0xffff;
              break;
            }
            if ((kh | kl) === 0) break;
            if (++s === n) s = 0;
          }
        }
        out[g + k] = lid;
      }
    }
    touchSink ^= touch;
  }

  port(high: number, low: number): number {
    const s = this.core.find(high, low);
    return s < 0 ? -1 : this.core.w[s * STRIDE + 2]! >>> 19;
  }

  host(high: number, low: number): number {
    const s = this.core.find(high, low);
    return s < 0 ? -1 : this.core.w[s * STRIDE + 3]!;
  }

  state(high: number, low: number): number {
    const s = this.core.find(high, low);
    return s < 0 ? -1 : (this.core.w[s * STRIDE + 2]! >>> 16) & MAX_STATE;
  }

  has(high: number, low: number): boolean {
    return this.core.find(high, low) >= 0;
  }

  /** Changes the state of a present vGUID; false when absent. */
  setState(high: number, low: number, state: number): boolean {
    checkRange(TABLE, 'state', state, MAX_STATE);
    const s = this.core.find(high, low);
    if (s < 0) return false;
    const b = s * STRIDE + 2;
    const w = this.core.w;
    w[b] = ((w[b]! & ~(MAX_STATE << 16)) | (state << 16)) >>> 0;
    return true;
  }

  delete(high: number, low: number): boolean {
    return this.core.remove(high, low);
  }

  clear(): void {
    this.core.clear();
  }

  /** Cold path: every record in slot order. Do not mutate the table from fn. */
  forEach(fn: (high: number, low: number, lid: number, port: number, host: number, state: number) => void): void {
    const w = this.core.w;
    this.core.forEachSlot((s) => {
      const b = s * STRIDE;
      const packed = w[b + 2]!;
      fn(w[b]!, w[b + 1]!, packed & 0xffff, packed >>> 19, w[b + 3]!, (packed >>> 16) & MAX_STATE);
    });
  }

  probeStats(): { max: number; mean: number } {
    return this.core.probeStats();
  }

  checkInvariants(): void {
    this.core.checkInvariants();
  }
}

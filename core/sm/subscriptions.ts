// InformInfo subscriptions held by the SA, in typed arrays (one row per subscription), with
// OpenSM's matching rules:
//
// Notice -> subscription (osm_inform.c match_notice_to_inf_rec):
//   GID          if non-zero must equal the notice's IssuerGID; else
//   LIDRange     applies only when GID is zero and LIDRangeBegin != 0xFFFF: Begin <= IssuerLID <= End
//   IsGeneric    must equal the notice's
//   Type         0xFFFF or equal
//   TrapNumber   (generic) 0xFFFF or equal;  DeviceID (vendor) 0xFFFF or equal
//   ProducerType (generic) 0xFFFFFF or equal; VendorID (vendor) 0xFFFFFF or equal
//   QPN          not compared
//
// Unsubscribe -> subscription (osm_inform.c match_inf_rec): the same report address (here: the
// same subscriber GUID, from which the SA derives the address), the same GID (or, when zero, the
// same LID range), and exactly the same Type, IsGeneric, TrapNumber/DeviceID, QPN+RespTimeValue and
// ProducerType/VendorID: no wildcard matching when removing.
//
// A subscriber is found by its GUID through a GuidMultiMap (subscriber -> rows), so unsubscribe
// and the per-host lookup of per-pf-interest cost O(rows of that subscriber), not a list walk.
import { GuidMultiMap } from '../tables/guid-multimap.js';
import { INFORM_ALL_LIDS, INFORM_ANY_PRODUCER, INFORM_ANY_TRAP, INFORM_ANY_TYPE } from '../mad/constants.js';

/** The fields of one InformInfo, as plain numbers (filled from a MAD, never kept as an object). */
export class InformFields {
  gidPrefixHigh = 0;
  gidPrefixLow = 0;
  gidGuidHigh = 0;
  gidGuidLow = 0;
  lidRangeBegin = INFORM_ALL_LIDS;
  lidRangeEnd = 0;
  isGeneric = 1;
  type = INFORM_ANY_TYPE;
  /** TrapNumber (generic) or DeviceID (vendor). */
  trapNumber = INFORM_ANY_TRAP;
  /** QPN(24) | reserved(3) | RespTimeValue(5), as one word. */
  qpnWord = 0;
  /** ProducerType (generic) or VendorID (vendor), 24 bits. */
  producerType = INFORM_ANY_PRODUCER;
}

/** The matching fields of one notice. */
export class NoticeFields {
  isGeneric = 1;
  type = 0;
  trapNumber = 0;
  producerType = 0;
  issuerLid = 0;
  issuerGidPrefixHigh = 0;
  issuerGidPrefixLow = 0;
  issuerGidGuidHigh = 0;
  issuerGidGuidLow = 0;
}

const COLS_U32 = 8; // gid x4, subscriber guid x2, qpnWord, producerType

/** add() results besides a row: an identical subscription exists / a bound is reached (issue 7). */
export const SUBSCRIPTION_EXISTS = -1;
export const SUBSCRIPTIONS_FULL = -2;
export const SUBSCRIBER_FULL = -3;

export interface SubscriptionBounds {
  /** Rows the table may hold (default: unbounded, as OpenSM). */
  readonly maxRows?: number;
  /** Rows one subscriber may hold (default: unbounded). */
  readonly maxPerSubscriber?: number;
}

export class Subscriptions {
  private u32: Uint32Array;
  private u16: Uint16Array; // lidBegin, lidEnd, type, trapNumber
  private generic: Uint8Array;
  private rows = 0;
  private readonly bySubscriber: GuidMultiMap;
  /** Rows with IsGeneric = 0 (vendor notices: the life-cycle reports). */
  vendorRows = 0;
  readonly maxRows: number;
  readonly maxPerSubscriber: number;

  constructor(initialRows = 1024, bounds: SubscriptionBounds = {}) {
    this.maxRows = bounds.maxRows ?? Infinity;
    this.maxPerSubscriber = bounds.maxPerSubscriber ?? Infinity;
    for (const [k, v] of [['maxRows', this.maxRows], ['maxPerSubscriber', this.maxPerSubscriber]] as const) {
      if (v !== Infinity && (!Number.isInteger(v) || v < 1)) throw new RangeError(`Subscriptions ${k}: ${v} is not a positive integer`);
    }
    const n = Math.max(16, initialRows | 0);
    this.u32 = new Uint32Array(n * COLS_U32);
    this.u16 = new Uint16Array(n * 4);
    this.generic = new Uint8Array(n);
    this.bySubscriber = new GuidMultiMap(n, { growable: true });
  }

  get count(): number {
    return this.rows;
  }

  subscriberHigh(row: number): number {
    return this.u32[row * COLS_U32 + 4]!;
  }

  subscriberLow(row: number): number {
    return this.u32[row * COLS_U32 + 5]!;
  }

  /**
   * Adds a subscription; returns its row, SUBSCRIPTION_EXISTS when an identical one exists
   * (idempotent, as OpenSM), SUBSCRIPTIONS_FULL or SUBSCRIBER_FULL at a bound.
   */
  add(subHigh: number, subLow: number, f: InformFields): number {
    const existing = this.find(subHigh, subLow, f);
    if (existing >= 0) return SUBSCRIPTION_EXISTS;
    if (this.rows >= this.maxRows) return SUBSCRIPTIONS_FULL;
    if (this.maxPerSubscriber !== Infinity && this.bySubscriber.count(subHigh, subLow) >= this.maxPerSubscriber) return SUBSCRIBER_FULL;
    if (this.rows === this.generic.length) this.grow();
    const r = this.rows++;
    const o = r * COLS_U32;
    const u = this.u32;
    u[o] = f.gidPrefixHigh;
    u[o + 1] = f.gidPrefixLow;
    u[o + 2] = f.gidGuidHigh;
    u[o + 3] = f.gidGuidLow;
    u[o + 4] = subHigh;
    u[o + 5] = subLow;
    u[o + 6] = f.qpnWord;
    u[o + 7] = f.producerType;
    const s = r * 4;
    this.u16[s] = f.lidRangeBegin;
    this.u16[s + 1] = f.lidRangeEnd;
    this.u16[s + 2] = f.type;
    this.u16[s + 3] = f.trapNumber;
    this.generic[r] = f.isGeneric;
    if (f.isGeneric === 0) this.vendorRows++;
    this.bySubscriber.add(subHigh, subLow, r);
    return r;
  }

  /** The row of the subscription that an unsubscribe with these fields names (exact match), or -1. */
  find(subHigh: number, subLow: number, f: InformFields): number {
    let found = -1;
    this.bySubscriber.forEach(subHigh, subLow, (r) => {
      if (found < 0 && this.sameRecord(r, f)) found = r;
    });
    return found;
  }

  /** Removes the subscription matching exactly; false when there is none. */
  remove(subHigh: number, subLow: number, f: InformFields): boolean {
    const r = this.find(subHigh, subLow, f);
    if (r < 0) return false;
    this.removeRow(r);
    return true;
  }

  /** First row of this subscriber that a notice matches, or -1 (per-pf-interest's host lookup). */
  firstMatchOf(subHigh: number, subLow: number, n: NoticeFields): number {
    let found = -1;
    this.bySubscriber.forEach(subHigh, subLow, (r) => {
      if (found < 0 && this.matches(r, n)) found = r;
    });
    return found;
  }

  /** OpenSM's notice-to-subscription match. */
  matches(r: number, n: NoticeFields): boolean {
    const o = r * COLS_U32;
    const u = this.u32;
    const s = r * 4;
    if ((u[o]! | u[o + 1]! | u[o + 2]! | u[o + 3]!) !== 0) {
      if (
        u[o] !== n.issuerGidPrefixHigh ||
        u[o + 1] !== n.issuerGidPrefixLow ||
        u[o + 2] !== n.issuerGidGuidHigh ||
        u[o + 3] !== n.issuerGidGuidLow
      )
        return false;
    } else {
      const begin = this.u16[s]!;
      if (begin !== INFORM_ALL_LIDS && (n.issuerLid < begin || n.issuerLid > this.u16[s + 1]!)) return false;
    }
    if ((this.generic[r]! !== 0) !== (n.isGeneric !== 0)) return false;
    const type = this.u16[s + 2]!;
    if (type !== INFORM_ANY_TYPE && type !== n.type) return false;
    const trap = this.u16[s + 3]!;
    if (trap !== INFORM_ANY_TRAP && trap !== n.trapNumber) return false;
    const producer = u[o + 7]!;
    if (producer !== INFORM_ANY_PRODUCER && producer !== n.producerType) return false;
    return true;
  }

  private sameRecord(r: number, f: InformFields): boolean {
    const o = r * COLS_U32;
    const u = this.u32;
    const s = r * 4;
    const gidSet = (f.gidPrefixHigh | f.gidPrefixLow | f.gidGuidHigh | f.gidGuidLow) !== 0;
    if (gidSet) {
      if (u[o] !== f.gidPrefixHigh || u[o + 1] !== f.gidPrefixLow || u[o + 2] !== f.gidGuidHigh || u[o + 3] !== f.gidGuidLow)
        return false;
    } else {
      if ((u[o]! | u[o + 1]! | u[o + 2]! | u[o + 3]!) !== 0) return false;
      if (this.u16[s] !== f.lidRangeBegin || this.u16[s + 1] !== f.lidRangeEnd) return false;
    }
    return (
      this.u16[s + 2] === f.type &&
      this.generic[r] === f.isGeneric &&
      this.u16[s + 3] === f.trapNumber &&
      u[o + 6] === f.qpnWord &&
      u[o + 7] === f.producerType
    );
  }

  /** Swap-remove: the last row moves into r (its multimap entry follows it). */
  private removeRow(r: number): void {
    const last = this.rows - 1;
    const u = this.u32;
    this.bySubscriber.remove(u[r * COLS_U32 + 4]!, u[r * COLS_U32 + 5]!, r);
    if (this.generic[r] === 0) this.vendorRows--;
    if (r !== last) {
      const lh = u[last * COLS_U32 + 4]!;
      const ll = u[last * COLS_U32 + 5]!;
      this.bySubscriber.remove(lh, ll, last);
      u.copyWithin(r * COLS_U32, last * COLS_U32, (last + 1) * COLS_U32);
      this.u16.copyWithin(r * 4, last * 4, (last + 1) * 4);
      this.generic[r] = this.generic[last]!;
      this.bySubscriber.add(lh, ll, r);
    }
    this.rows = last;
  }

  private grow(): void {
    const n = this.generic.length * 2;
    const u = new Uint32Array(n * COLS_U32);
    u.set(this.u32);
    this.u32 = u;
    const s = new Uint16Array(n * 4);
    s.set(this.u16);
    this.u16 = s;
    const g = new Uint8Array(n);
    g.set(this.generic);
    this.generic = g;
  }
}

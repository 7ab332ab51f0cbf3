// Requests the SA has queued and not yet answered, keyed by (source LID, source GID's GUID low
// word, TID, digest of the 256 bytes) — VFs share their host's LID and are told apart by the
// GRH, and only a byte-identical copy is a retransmission: a requester that
// times out re-sends its request with the same TID, and under a query storm the copy arrives
// while the original still waits in the SA's queue. Serving both would double the work of a
// saturated SA and the second answer would be dropped by the requester anyway, so the copy is
// dropped and counted: the original's answer, same TID, satisfies the requester.
//
// Open addressing over typed arrays; an entry is live while its answer time is in the future,
// so entries expire by themselves (an expired slot is reused on insert; lookups probe past it).

export class QueuedRequests {
  // Sized by allocate() in the constructor and on every rehash.
  private cap = 0;
  private lid = new Uint32Array(0);
  private guid = new Uint32Array(0);
  private tidHigh = new Uint32Array(0);
  private tidLow = new Uint32Array(0);
  private digest = new Uint32Array(0);
  private doneNs = new Float64Array(0);
  /** Slots ever written (live or expired): the probe chains' length bound. */
  private used = 0;

  constructor(capacity = 1024) {
    let c = 16;
    while (c < capacity * 2) c *= 2;
    this.allocate(c);
  }

  /** True when a request with this source LID and TID is still queued (answer time after nowNs). */
  isQueued(lid: number, guid: number, tidHigh: number, tidLow: number, digest: number, nowNs: number): boolean {
    const mask = this.cap - 1;
    let i = hash(lid ^ guid, tidHigh, tidLow) & mask;
    for (;;) {
      const d = this.doneNs[i]!;
      if (d === -1) return false;
      if (this.lid[i] === lid && this.guid[i] === guid >>> 0 && this.tidHigh[i] === tidHigh >>> 0 && this.tidLow[i] === tidLow >>> 0 && this.digest[i] === digest >>> 0) {
        return d > nowNs;
      }
      i = (i + 1) & mask;
    }
  }

  /** Records a request that will be answered at doneNs. */
  add(lid: number, guid: number, tidHigh: number, tidLow: number, digest: number, doneNs: number, nowNs: number): void {
    if ((this.used + 1) * 2 > this.cap) this.rehash(nowNs);
    const mask = this.cap - 1;
    let i = hash(lid ^ guid, tidHigh, tidLow) & mask;
    let reuse = -1;
    for (;;) {
      const d = this.doneNs[i]!;
      if (d === -1) break;
      if (this.lid[i] === lid && this.guid[i] === guid >>> 0 && this.tidHigh[i] === tidHigh >>> 0 && this.tidLow[i] === tidLow >>> 0 && this.digest[i] === digest >>> 0) {
        this.doneNs[i] = doneNs;
        return;
      }
      if (reuse < 0 && d <= nowNs) reuse = i;
      i = (i + 1) & mask;
    }
    if (reuse >= 0) {
      // An expired entry earlier on the chain: reuse it (the chain stays intact).
      i = reuse;
    } else {
      this.used++;
    }
    this.lid[i] = lid;
    this.guid[i] = guid >>> 0;
    this.tidHigh[i] = tidHigh >>> 0;
    this.tidLow[i] = tidLow >>> 0;
    this.digest[i] = digest >>> 0;
    this.doneNs[i] = doneNs;
  }

  /** Empty arrays for a table of c slots (a power of two). */
  private allocate(c: number): void {
    this.cap = c;
    this.lid = new Uint32Array(c);
    this.guid = new Uint32Array(c);
    this.tidHigh = new Uint32Array(c);
    this.tidLow = new Uint32Array(c);
    this.digest = new Uint32Array(c);
    this.doneNs = new Float64Array(c).fill(-1);
  }

  /** Keeps the live entries only, in a table sized for them. */
  private rehash(nowNs: number): void {
    const oldLid = this.lid;
    const oldGuid = this.guid;
    const oldHigh = this.tidHigh;
    const oldLow = this.tidLow;
    const oldDigest = this.digest;
    const oldDone = this.doneNs;
    let live = 0;
    for (let i = 0; i < oldDone.length; i++) if (oldDone[i]! > nowNs) live++;
    let c = 16;
    while (c < (live + 1) * 4) c *= 2;
    this.allocate(c);
    this.used = 0;
    const mask = c - 1;
    for (let j = 0; j < oldDone.length; j++) {
      const d = oldDone[j]!;
      if (d <= nowNs) continue;
      let i = hash(oldLid[j]! ^ oldGuid[j]!, oldHigh[j]!, oldLow[j]!) & mask;
      while (this.doneNs[i] !== -1) i = (i + 1) & mask;
      this.lid[i] = oldLid[j]!;
      this.guid[i] = oldGuid[j]!;
      this.tidHigh[i] = oldHigh[j]!;
      this.tidLow[i] = oldLow[j]!;
      this.digest[i] = oldDigest[j]!;
      this.doneNs[i] = d;
      this.used++;
    }
  }
}

function hash(lid: number, high: number, low: number): number {
  let h = Math.imul(low ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ high ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ lid ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A 32-bit digest of a MAD's bytes (FNV-1a over 32-bit words): equal for a byte-identical re-send. */
export function madDigest(mad: Uint8Array): number {
  let h = 0x811c9dc5;
  const n = mad.length & ~3;
  for (let i = 0; i < n; i += 4) {
    h = Math.imul(h ^ (mad[i]! | (mad[i + 1]! << 8) | (mad[i + 2]! << 16) | (mad[i + 3]! << 24)), 0x01000193);
  }
  return h >>> 0;
}

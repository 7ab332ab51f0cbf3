// A VM shard's undo journal: before the shard first changes one of its VMs' rows in the shared
// state within a window (between two Sync answers), it appends the row as it was; the journal
// is emptied when the shard answers a Sync. If the shard's thread dies, the main thread puts the
// rows back from the journal, so the shared state is again exactly what it was at the shard's
// last Sync answer, and a fresh worker can take over from there (sharded-run.ts). Cheaper than
// copying every owned row at every Sync: a window costs one row copy per VM it touches, and a
// storm's window touches the few VMs one migration involves.
//
// A VM's row is everything of the shared state only its owner writes (VmAgents.toShared and
// its edgeQuery): its path cache region (PathCache.copyRowOut), its cache summary, and per edge
// of its peer list the connection flags and the PathRecord query state (generation, re-sends,
// no-record re-tries, re-query rounds).
//
// Layout (Uint32Array over a SharedArrayBuffer): header [0] words of entries written (stored
// after each entry is complete, so a thread dying mid-entry leaves only whole entries), [1] the
// window: how many Syncs the shard had answered when these entries began; then entries, each
// [vm, path cache row, SUMMARY_WORDS summary words, 2 words per edge: conn | generation << 8 |
// re-sends << 16 | no-record re-tries << 24, re-query rounds].
import type { PathCache } from '../../tables/path-cache.js';
import { SUMMARY_WORDS } from '../../vm/vm-agents.js';

const H_USED = 0;
const H_WINDOW = 1;
const HEADER_WORDS = 2;

/** The shared rows a journal covers (the views of VmAgents' shared state, and the peer graph). */
export interface JournalRows {
  readonly pathCache: PathCache;
  readonly summary: Uint32Array;
  readonly conn: Uint8Array;
  /** 4 bytes per edge: generation, re-sends, no-record re-tries, re-query rounds (VmSharedState.edgeQuery). */
  readonly edgeQuery: Uint8Array;
  readonly peerStart: Uint32Array;
}

export class UndoJournal {
  readonly buffer: SharedArrayBuffer;
  private readonly header: Int32Array;
  private readonly w: Uint32Array;
  private readonly rowWords: number;
  private readonly edges: number;
  /** Shard side: the window a VM was last journaled in, plus one (0: never). */
  private stamp: Uint32Array | undefined;
  private epoch = 1;
  private used = 0;

  /**
   * Words a journal needs for shard `shard`: every owned VM once (a window journals a VM at most
   * once), so it can never overflow.
   */
  static wordsFor(rows: JournalRows, ownerOf: Uint8Array, shard: number): number {
    let words = HEADER_WORDS;
    const ps = rows.peerStart;
    const per = 1 + rows.pathCache.rowWords + SUMMARY_WORDS;
    for (let v = 0; v < ownerOf.length; v++) if (ownerOf[v] === shard) words += per + 2 * (ps[v + 1]! - ps[v]!);
    return words;
  }

  constructor(
    private readonly rows: JournalRows,
    bufferOrWords: SharedArrayBuffer | number,
  ) {
    this.buffer = typeof bufferOrWords === 'number' ? new SharedArrayBuffer(bufferOrWords * 4) : bufferOrWords;
    this.header = new Int32Array(this.buffer, 0, HEADER_WORDS);
    this.w = new Uint32Array(this.buffer);
    this.rowWords = rows.pathCache.rowWords;
    this.edges = rows.conn.length;
    if (rows.edgeQuery.length !== 4 * this.edges) throw new RangeError(`UndoJournal edgeQuery: ${rows.edgeQuery.length} bytes, not 4 per edge (${4 * this.edges})`);
  }

  /** The window the entries belong to (Syncs answered when it began). */
  get window(): number {
    return Atomics.load(this.header, H_WINDOW);
  }

  /** Words of entries written. */
  get usedWords(): number {
    return Atomics.load(this.header, H_USED);
  }

  // ---------------------------------------------------------------- shard side

  /**
   * A new window starts: the shard has answered `answered` Syncs. Emptied first, then the window
   * stored: a thread dying in between leaves an empty journal, which rolls nothing back (right:
   * nothing has changed since the answer).
   */
  startWindow(answered: number, vms: number): void {
    Atomics.store(this.header, H_USED, 0);
    Atomics.store(this.header, H_WINDOW, answered);
    this.used = 0;
    if (this.stamp === undefined || this.stamp.length !== vms) {
      this.stamp = new Uint32Array(vms);
      this.epoch = 1;
    } else if (++this.epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.epoch = 1;
    }
  }

  /** The shard is about to change VM vm's row: keep it as it is, once per window. */
  keep(vm: number): void {
    const stamp = this.stamp!;
    if (stamp[vm] === this.epoch) return;
    stamp[vm] = this.epoch;
    const w = this.w;
    const rows = this.rows;
    let at = HEADER_WORDS + this.used;
    const e0 = rows.peerStart[vm]!;
    const e1 = rows.peerStart[vm + 1]!;
    if (at + 1 + this.rowWords + SUMMARY_WORDS + 2 * (e1 - e0) > w.length) {
      throw new RangeError(`UndoJournal: VM ${vm}'s row does not fit (${w.length} words); was the journal sized for this shard?`);
    }
    w[at++] = vm;
    rows.pathCache.copyRowOut(vm, w, at);
    at += this.rowWords;
    for (let i = 0; i < SUMMARY_WORDS; i++) w[at++] = rows.summary[vm * SUMMARY_WORDS + i]!;
    const c = rows.conn;
    const q = rows.edgeQuery;
    const E = this.edges;
    for (let e = e0; e < e1; e++) {
      w[at++] = (c[e]! | (q[e]! << 8) | (q[E + e]! << 16) | (q[2 * E + e]! << 24)) >>> 0;
      w[at++] = q[3 * E + e]!;
    }
    this.used = at - HEADER_WORDS;
    Atomics.store(this.header, H_USED, this.used);
  }

  // ---------------------------------------------------------------- main-thread side

  /**
   * The shard died having answered `answered` Syncs: puts its rows back as they were at that
   * answer and empties the journal. Returns the VMs rolled back, or -1 when the journal does not
   * describe that window (then the rows cannot be trusted: the caller redoes the whole run).
   */
  rollBack(answered: number): number {
    const window = Atomics.load(this.header, H_WINDOW);
    const used = Atomics.load(this.header, H_USED);
    // The shard answered `answered` Syncs and died before it started the next window: whatever
    // the journal holds was changed before that answer, and stays.
    if (window === answered - 1) {
      Atomics.store(this.header, H_USED, 0);
      Atomics.store(this.header, H_WINDOW, answered);
      return 0;
    }
    if (window !== answered) return -1;
    const w = this.w;
    const rows = this.rows;
    const c = rows.conn;
    const q = rows.edgeQuery;
    const E = this.edges;
    let at = HEADER_WORDS;
    const end = HEADER_WORDS + used;
    let n = 0;
    while (at < end) {
      const vm = w[at++]!;
      rows.pathCache.copyRowIn(vm, w, at);
      at += this.rowWords;
      for (let i = 0; i < SUMMARY_WORDS; i++) rows.summary[vm * SUMMARY_WORDS + i] = w[at++]!;
      for (let e = rows.peerStart[vm]!, e1 = rows.peerStart[vm + 1]!; e < e1; e++) {
        const x = w[at++]!;
        c[e] = x & 0xff;
        q[e] = (x >>> 8) & 0xff;
        q[E + e] = (x >>> 16) & 0xff;
        q[2 * E + e] = x >>> 24;
        q[3 * E + e] = w[at++]!;
      }
      n++;
    }
    if (at !== end) return -1;
    Atomics.store(this.header, H_USED, 0);
    return n;
  }
}

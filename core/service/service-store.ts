// The signalling service's write-ahead mirror in SQLite (better-sqlite3, WAL mode): what must
// survive a crash of `repath service` — the host ports it learnt, the LID-vGUID table (which
// alias index of which port holds each vGUID), the trap table (parked path records with their
// park time), each vGUID's life-cycle state and notice sequence, the InformInfo subscriptions,
// and the RePath/UnPath notices whose Reports are not yet all answered.
//
// The typed-array tables of the mirror SM stay the hot path; this file only writes rows. The
// service (signalling-service.ts) writes every change of one handled MAD in one transaction,
// before the MAD that acknowledges it leaves, so an acknowledged Delete is on disk.
//
// GUIDs are two INTEGER columns of 32 bits each (no BigInt anywhere). Times are wall-clock
// milliseconds (REAL): the service's scheduler clock starts at 0 in every process, so a park
// time is kept as wall time and converted back on load.
//
// A file is ours when its application_id is REPATH_DB_APPLICATION_ID; a new, empty file becomes
// ours. Anything else — not SQLite, corrupt, another program's database, another schema version,
// another alias-table shape — is refused with a ServiceStoreError naming the file and the problem.
import Database from 'better-sqlite3';
import type { InformFields } from '../sm/subscriptions.js';

/** 'RPSV' in ASCII: marks a repath service database (PRAGMA application_id). */
export const REPATH_DB_APPLICATION_ID = 0x52505356;
/** PRAGMA user_version of the schema below. */
export const REPATH_DB_SCHEMA_VERSION = 1;

export class ServiceStoreError extends Error {
  constructor(readonly path: string, problem: string) {
    super(`--db ${path}: ${problem}`);
    this.name = 'ServiceStoreError';
  }
}

export type StoreSync = 'full' | 'normal';

export interface ServiceStoreOptions {
  /** Alias GUID indices per port beyond index 0 (the service's slotsPerHost): fixed per database. */
  readonly slotsPerHost: number;
  /**
   * full (default): every commit is fsynced before the acknowledging MAD leaves (survives power
   * loss). normal: WAL commits reach the OS at once (survive a crash of the process, SIGKILL
   * included) and are fsynced at checkpoints.
   */
  readonly sync?: StoreSync;
  /** Fault injection for tests: called after every write statement with the count so far. */
  readonly afterWrite?: (writes: number) => void;
}

const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE host (
  host INTEGER PRIMARY KEY, lid INTEGER NOT NULL, guid_hi INTEGER NOT NULL, guid_lo INTEGER NOT NULL);
CREATE TABLE alias (
  vguid_hi INTEGER NOT NULL, vguid_lo INTEGER NOT NULL, host INTEGER NOT NULL, idx INTEGER NOT NULL,
  lid INTEGER NOT NULL, PRIMARY KEY (vguid_hi, vguid_lo)) WITHOUT ROWID;
CREATE TABLE parked (
  id INTEGER PRIMARY KEY AUTOINCREMENT, vguid_hi INTEGER NOT NULL, vguid_lo INTEGER NOT NULL,
  old_lid INTEGER NOT NULL, host INTEGER NOT NULL, port_hi INTEGER NOT NULL, port_lo INTEGER NOT NULL,
  parked_ms REAL NOT NULL, UNIQUE (vguid_hi, vguid_lo));
CREATE TABLE vguid (
  vguid_hi INTEGER NOT NULL, vguid_lo INTEGER NOT NULL, state INTEGER NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (vguid_hi, vguid_lo)) WITHOUT ROWID;
CREATE TABLE subscription (
  id INTEGER PRIMARY KEY AUTOINCREMENT, sub_hi INTEGER NOT NULL, sub_lo INTEGER NOT NULL,
  gid_prefix_hi INTEGER NOT NULL, gid_prefix_lo INTEGER NOT NULL, gid_guid_hi INTEGER NOT NULL, gid_guid_lo INTEGER NOT NULL,
  lid_begin INTEGER NOT NULL, lid_end INTEGER NOT NULL, is_generic INTEGER NOT NULL, type INTEGER NOT NULL,
  trap_number INTEGER NOT NULL, qpn_word INTEGER NOT NULL, producer_type INTEGER NOT NULL);
CREATE INDEX subscription_by_subscriber ON subscription (sub_hi, sub_lo);
CREATE TABLE notice (
  id INTEGER PRIMARY KEY AUTOINCREMENT, trap INTEGER NOT NULL, vguid_hi INTEGER NOT NULL, vguid_lo INTEGER NOT NULL,
  new_lid INTEGER NOT NULL, old_lid INTEGER NOT NULL, vm_state INTEGER NOT NULL,
  new_port_hi INTEGER NOT NULL, new_port_lo INTEGER NOT NULL, old_port_hi INTEGER NOT NULL, old_port_lo INTEGER NOT NULL,
  seq INTEGER NOT NULL);
`;
const TABLES = ['alias', 'host', 'meta', 'notice', 'parked', 'subscription', 'vguid'];

/** One row of each table as the loader hands it over (plain numbers; cold path). */
export interface StoredNotice {
  trap: number;
  vguidHigh: number;
  vguidLow: number;
  newLid: number;
  oldLid: number;
  vmState: number;
  newPortHigh: number;
  newPortLow: number;
  oldPortHigh: number;
  oldPortLow: number;
  seq: number;
}

export interface StoreCounts {
  hosts: number;
  aliases: number;
  parked: number;
  vguids: number;
  subscriptions: number;
  notices: number;
}

type Stmt = Database.Statement<unknown[]>;

export class ServiceStore {
  readonly path: string;
  readonly slotsPerHost: number;
  /** Write statements run since open (the cost benchmark reads it). */
  writes = 0;
  /** Transactions committed since open. */
  commits = 0;
  private readonly db: Database.Database;
  private readonly afterWrite: ((writes: number) => void) | undefined;
  private readonly sPutHost: Stmt;
  private readonly sPutAlias: Stmt;
  private readonly sDeleteAlias: Stmt;
  private readonly sPark: Stmt;
  private readonly sUnpark: Stmt;
  private readonly sPutVguid: Stmt;
  private readonly sAddSub: Stmt;
  private readonly sRemoveSubGid: Stmt;
  private readonly sRemoveSubLids: Stmt;
  private readonly sAddNotice: Stmt;
  private readonly sRetireNotices: Stmt;
  private readonly runInTransaction: (fn: () => void) => void;

  private constructor(path: string, db: Database.Database, o: ServiceStoreOptions) {
    this.path = path;
    this.db = db;
    this.slotsPerHost = o.slotsPerHost;
    this.afterWrite = o.afterWrite;
    this.sPutHost = db.prepare('INSERT OR REPLACE INTO host (host, lid, guid_hi, guid_lo) VALUES (?, ?, ?, ?)');
    this.sPutAlias = db.prepare('INSERT OR REPLACE INTO alias (vguid_hi, vguid_lo, host, idx, lid) VALUES (?, ?, ?, ?, ?)');
    this.sDeleteAlias = db.prepare('DELETE FROM alias WHERE vguid_hi = ? AND vguid_lo = ?');
    // REPLACE deletes the old row and inserts a new id: a re-park moves to the young end, as in the trap table.
    this.sPark = db.prepare('INSERT OR REPLACE INTO parked (vguid_hi, vguid_lo, old_lid, host, port_hi, port_lo, parked_ms) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.sUnpark = db.prepare('DELETE FROM parked WHERE vguid_hi = ? AND vguid_lo = ?');
    this.sPutVguid = db.prepare('INSERT OR REPLACE INTO vguid (vguid_hi, vguid_lo, state, seq) VALUES (?, ?, ?, ?)');
    this.sAddSub = db.prepare(`INSERT INTO subscription (sub_hi, sub_lo, gid_prefix_hi, gid_prefix_lo, gid_guid_hi, gid_guid_lo,
      lid_begin, lid_end, is_generic, type, trap_number, qpn_word, producer_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // The SA's unsubscribe match (core/sm/subscriptions.ts sameRecord): a non-zero GID is compared
    // instead of the LID range; everything else exactly. One row at most matches (adds are deduplicated).
    const same = 'sub_hi = ? AND sub_lo = ? AND type = ? AND is_generic = ? AND trap_number = ? AND qpn_word = ? AND producer_type = ?';
    this.sRemoveSubGid = db.prepare(`DELETE FROM subscription WHERE id = (SELECT id FROM subscription WHERE ${same}
      AND gid_prefix_hi = ? AND gid_prefix_lo = ? AND gid_guid_hi = ? AND gid_guid_lo = ? ORDER BY id LIMIT 1)`);
    this.sRemoveSubLids = db.prepare(`DELETE FROM subscription WHERE id = (SELECT id FROM subscription WHERE ${same}
      AND gid_prefix_hi = 0 AND gid_prefix_lo = 0 AND gid_guid_hi = 0 AND gid_guid_lo = 0 AND lid_begin = ? AND lid_end = ? ORDER BY id LIMIT 1)`);
    this.sAddNotice = db.prepare(`INSERT INTO notice (trap, vguid_hi, vguid_lo, new_lid, old_lid, vm_state, new_port_hi, new_port_lo,
      old_port_hi, old_port_lo, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.sRetireNotices = db.prepare('DELETE FROM notice');
    const tx = db.transaction((fn: () => void) => fn());
    this.runInTransaction = (fn) => {
      tx(fn);
      this.commits++;
    };
  }

  /**
   * Opens (or creates) the database at `path` in WAL mode and checks that it is a repath service
   * database of this schema and alias-table shape. Throws ServiceStoreError otherwise.
   */
  static open(path: string, o: ServiceStoreOptions): ServiceStore {
    if (!Number.isInteger(o.slotsPerHost) || o.slotsPerHost < 1 || o.slotsPerHost > 255) {
      throw new RangeError(`ServiceStore slotsPerHost: ${o.slotsPerHost} is not 1..255`);
    }
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (e) {
      throw new ServiceStoreError(path, `cannot open: ${(e as Error).message}`);
    }
    try {
      const store = ServiceStore.prepare(path, db, o);
      return store;
    } catch (e) {
      db.close();
      if (e instanceof ServiceStoreError) throw e;
      throw new ServiceStoreError(path, describeSqliteError(e));
    }
  }

  private static prepare(path: string, db: Database.Database, o: ServiceStoreOptions): ServiceStore {
    // The first read of the header: "file is not a database" surfaces here for a foreign file.
    const appId = db.pragma('application_id', { simple: true }) as number;
    const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    if (appId !== REPATH_DB_APPLICATION_ID) {
      if (appId !== 0 || tables.length > 0) {
        throw new ServiceStoreError(path, `not a repath service database (application_id 0x${(appId >>> 0).toString(16)}, tables: ${tables.join(', ') || 'none'})`);
      }
    }
    const check = db.pragma('quick_check', { simple: true }) as string;
    if (check !== 'ok') {
      const what = String(check).replace(/\s+/g, ' ').trim();
      throw new ServiceStoreError(path, `corrupt (quick_check: ${what.length > 160 ? `${what.slice(0, 160)}...` : what})`);
    }
    const mode = db.pragma('journal_mode = WAL', { simple: true }) as string;
    if (mode !== 'wal') throw new ServiceStoreError(path, `journal_mode: ${mode}, not wal (WAL needs a file on a local file system)`);
    db.pragma(`synchronous = ${(o.sync ?? 'full') === 'full' ? 'FULL' : 'NORMAL'}`);
    if (appId === 0) {
      db.transaction(() => {
        db.exec(SCHEMA);
        db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('slotsPerHost', o.slotsPerHost);
        db.pragma(`user_version = ${REPATH_DB_SCHEMA_VERSION}`);
        db.pragma(`application_id = ${REPATH_DB_APPLICATION_ID}`);
      })();
    } else {
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== REPATH_DB_SCHEMA_VERSION) {
        throw new ServiceStoreError(path, `schema version ${version}; this repath reads version ${REPATH_DB_SCHEMA_VERSION}`);
      }
      const missing = TABLES.filter((t) => !tables.includes(t));
      if (missing.length > 0) throw new ServiceStoreError(path, `a repath database without table(s) ${missing.join(', ')}`);
      const slots = (db.prepare("SELECT value FROM meta WHERE key = 'slotsPerHost'").get() as { value: number } | undefined)?.value;
      if (slots !== o.slotsPerHost) {
        throw new ServiceStoreError(path, `written with --slots ${slots ?? 'unknown'}; started with --slots ${o.slotsPerHost} (the alias tables must have the same shape)`);
      }
    }
    return new ServiceStore(path, db, o);
  }

  /** The journal mode SQLite reports ('wal'). */
  get journalMode(): string {
    return this.db.pragma('journal_mode', { simple: true }) as string;
  }

  /** Runs `fn` (a handler's writes) as one transaction: all of it is committed or none. */
  transaction(fn: () => void): void {
    this.runInTransaction(fn);
  }

  putHost(host: number, lid: number, guidHigh: number, guidLow: number): void {
    this.sPutHost.run(host, lid, guidHigh >>> 0, guidLow >>> 0);
    this.wrote();
  }

  putAlias(vguidHigh: number, vguidLow: number, host: number, index: number, lid: number): void {
    this.sPutAlias.run(vguidHigh >>> 0, vguidLow >>> 0, host, index, lid);
    this.wrote();
  }

  deleteAlias(vguidHigh: number, vguidLow: number): void {
    this.sDeleteAlias.run(vguidHigh >>> 0, vguidLow >>> 0);
    this.wrote();
  }

  park(vguidHigh: number, vguidLow: number, oldLid: number, host: number, portHigh: number, portLow: number, parkedWallMs: number): void {
    this.sPark.run(vguidHigh >>> 0, vguidLow >>> 0, oldLid, host, portHigh >>> 0, portLow >>> 0, parkedWallMs);
    this.wrote();
  }

  unpark(vguidHigh: number, vguidLow: number): void {
    this.sUnpark.run(vguidHigh >>> 0, vguidLow >>> 0);
    this.wrote();
  }

  putVguid(vguidHigh: number, vguidLow: number, state: number, seq: number): void {
    this.sPutVguid.run(vguidHigh >>> 0, vguidLow >>> 0, state, seq);
    this.wrote();
  }

  addSubscription(subHigh: number, subLow: number, f: InformFields): void {
    this.sAddSub.run(subHigh >>> 0, subLow >>> 0, f.gidPrefixHigh >>> 0, f.gidPrefixLow >>> 0, f.gidGuidHigh >>> 0, f.gidGuidLow >>> 0,
      f.lidRangeBegin, f.lidRangeEnd, f.isGeneric, f.type, f.trapNumber, f.qpnWord >>> 0, f.producerType >>> 0);
    this.wrote();
  }

  /** Removes the subscription an unsubscribe with these fields names; false when none matched. */
  removeSubscription(subHigh: number, subLow: number, f: InformFields): boolean {
    const gidSet = (f.gidPrefixHigh | f.gidPrefixLow | f.gidGuidHigh | f.gidGuidLow) !== 0;
    const common = [subHigh >>> 0, subLow >>> 0, f.type, f.isGeneric, f.trapNumber, f.qpnWord >>> 0, f.producerType >>> 0];
    const r = gidSet
      ? this.sRemoveSubGid.run(...common, f.gidPrefixHigh >>> 0, f.gidPrefixLow >>> 0, f.gidGuidHigh >>> 0, f.gidGuidLow >>> 0)
      : this.sRemoveSubLids.run(...common, f.lidRangeBegin, f.lidRangeEnd);
    this.wrote();
    return r.changes > 0;
  }

  addNotice(
    trap: number, vguidHigh: number, vguidLow: number, newLid: number, oldLid: number, vmState: number,
    newPortHigh: number, newPortLow: number, oldPortHigh: number, oldPortLow: number, seq: number,
  ): void {
    this.sAddNotice.run(trap, vguidHigh >>> 0, vguidLow >>> 0, newLid, oldLid, vmState, newPortHigh >>> 0, newPortLow >>> 0, oldPortHigh >>> 0, oldPortLow >>> 0, seq);
    this.wrote();
  }

  /** Every pending notice has been reported and answered (or given up): none is pending any more. */
  retireNotices(): number {
    const r = this.sRetireNotices.run();
    this.wrote();
    return r.changes;
  }

  // ------------------------------------------------------------------ loading (cold path)

  forEachHost(fn: (host: number, lid: number, guidHigh: number, guidLow: number) => void): void {
    for (const r of this.db.prepare('SELECT host, lid, guid_hi, guid_lo FROM host ORDER BY host').raw().iterate() as Iterable<number[]>) fn(r[0]!, r[1]!, r[2]!, r[3]!);
  }

  forEachAlias(fn: (vguidHigh: number, vguidLow: number, host: number, index: number, lid: number) => void): void {
    for (const r of this.db.prepare('SELECT vguid_hi, vguid_lo, host, idx, lid FROM alias ORDER BY host, idx').raw().iterate() as Iterable<number[]>) fn(r[0]!, r[1]!, r[2]!, r[3]!, r[4]!);
  }

  /** Parked records oldest first (park order, as the trap table's expiry ring wants them). */
  forEachParked(fn: (vguidHigh: number, vguidLow: number, oldLid: number, host: number, portHigh: number, portLow: number, parkedWallMs: number) => void): void {
    for (const r of this.db.prepare('SELECT vguid_hi, vguid_lo, old_lid, host, port_hi, port_lo, parked_ms FROM parked ORDER BY id').raw().iterate() as Iterable<number[]>) {
      fn(r[0]!, r[1]!, r[2]!, r[3]!, r[4]!, r[5]!, r[6]!);
    }
  }

  forEachVguid(fn: (vguidHigh: number, vguidLow: number, state: number, seq: number) => void): void {
    for (const r of this.db.prepare('SELECT vguid_hi, vguid_lo, state, seq FROM vguid').raw().iterate() as Iterable<number[]>) fn(r[0]!, r[1]!, r[2]!, r[3]!);
  }

  /** Subscriptions in the order they were made; `f` is refilled for each row. */
  forEachSubscription(f: InformFields, fn: (subHigh: number, subLow: number, f: InformFields) => void): void {
    const sql = `SELECT sub_hi, sub_lo, gid_prefix_hi, gid_prefix_lo, gid_guid_hi, gid_guid_lo, lid_begin, lid_end, is_generic,
      type, trap_number, qpn_word, producer_type FROM subscription ORDER BY id`;
    for (const r of this.db.prepare(sql).raw().iterate() as Iterable<number[]>) {
      f.gidPrefixHigh = r[2]!;
      f.gidPrefixLow = r[3]!;
      f.gidGuidHigh = r[4]!;
      f.gidGuidLow = r[5]!;
      f.lidRangeBegin = r[6]!;
      f.lidRangeEnd = r[7]!;
      f.isGeneric = r[8]!;
      f.type = r[9]!;
      f.trapNumber = r[10]!;
      f.qpnWord = r[11]!;
      f.producerType = r[12]!;
      fn(r[0]!, r[1]!, f);
    }
  }

  /** Pending notices, oldest first. */
  notices(): StoredNotice[] {
    const sql = `SELECT trap, vguid_hi AS vguidHigh, vguid_lo AS vguidLow, new_lid AS newLid, old_lid AS oldLid, vm_state AS vmState,
      new_port_hi AS newPortHigh, new_port_lo AS newPortLow, old_port_hi AS oldPortHigh, old_port_lo AS oldPortLow, seq FROM notice ORDER BY id`;
    return this.db.prepare(sql).all() as StoredNotice[];
  }

  counts(): StoreCounts {
    const n = (table: string): number => (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { hosts: n('host'), aliases: n('alias'), parked: n('parked'), vguids: n('vguid'), subscriptions: n('subscription'), notices: n('notice') };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private wrote(): void {
    this.writes++;
    this.afterWrite?.(this.writes);
  }
}

/** SQLite's own words for what is wrong with a file, made one line. */
function describeSqliteError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err.message ?? e).replace(/\s+/g, ' ');
  switch (err.code) {
    case 'SQLITE_NOTADB':
      return `not an SQLite database (${msg})`;
    case 'SQLITE_CORRUPT':
      return `corrupt (${msg})`;
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
      return `cannot write (${msg})`;
    default:
      return `${err.code ?? 'error'}: ${msg}`;
  }
}

// The service's SQLite store on its own: every table round-trips through a closed and reopened
// file, the journal is WAL, a transaction cut by a real crash (SIGKILL between two of its
// statements) leaves the state before it, and files that are not a repath service database
// are refused with one line naming the file and the problem.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { InformFields } from '../core/sm/subscriptions.js';
import { ServiceStore, ServiceStoreError, REPATH_DB_APPLICATION_ID } from '../core/service/service-store.js';

const dirs: string[] = [];
function tempDb(name = 'service.db'): string {
  const dir = mkdtempSync(join(os.tmpdir(), 'repath-store-'));
  dirs.push(dir);
  return join(dir, name);
}
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fields(over: Partial<InformFields> = {}): InformFields {
  return Object.assign(new InformFields(), { qpnWord: 0x00000112, producerType: 4, trapNumber: 69, type: 1 }, over);
}

test('every table round-trips through a closed and reopened file, in WAL mode', (t) => {
  const path = tempDb();
  const s = ServiceStore.open(path, { slotsPerHost: 8 });
  t.is(s.journalMode, 'wal');
  s.transaction(() => {
    s.putHost(0, 7, 0x0002c903, 0x00100007);
    s.putHost(1, 8, 0x0002c903, 0x00100008);
    s.putAlias(0x0002c903, 0x00a00001, 0, 1, 7);
    s.putAlias(0x0002c903, 0x00a00002, 1, 3, 8);
    s.park(0x0002c903, 0x00a00003, 7, 0, 0x0002c903, 0x00100007, 1000.5);
    s.park(0x0002c903, 0x00a00004, 8, 1, 0x0002c903, 0x00100008, 2000.25);
    s.putVguid(0x0002c903, 0x00a00001, 1, 3);
    s.putVguid(0xffffffff, 0xfffffffe, 4, 0xfffffff0);
    s.addSubscription(0x0002c903, 0x00100007, fields());
    s.addSubscription(0x0002c903, 0x00a00001, fields({ gidPrefixHigh: 0xfe800000, gidGuidHigh: 0x0002c903, gidGuidLow: 0x00a00001, lidRangeBegin: 0xffff }));
    s.addNotice(69, 0x0002c903, 0x00a00001, 8, 7, 1, 0x0002c903, 0x00100008, 0x0002c903, 0x00100007, 5);
  });
  t.true(existsSync(`${path}-wal`), 'a -wal file beside the database while it is open');
  t.is(s.commits, 1);
  t.is(s.writes, 11);
  s.close();

  const r = ServiceStore.open(path, { slotsPerHost: 8 });
  t.deepEqual(r.counts(), { hosts: 2, aliases: 2, parked: 2, vguids: 2, subscriptions: 2, notices: 1 });
  const hosts: number[][] = [];
  r.forEachHost((...row) => hosts.push(row));
  t.deepEqual(hosts, [[0, 7, 0x0002c903, 0x00100007], [1, 8, 0x0002c903, 0x00100008]]);
  const aliases: number[][] = [];
  r.forEachAlias((...row) => aliases.push(row));
  t.deepEqual(aliases, [[0x0002c903, 0x00a00001, 0, 1, 7], [0x0002c903, 0x00a00002, 1, 3, 8]]);
  const parked: number[][] = [];
  r.forEachParked((...row) => parked.push(row));
  t.deepEqual(parked, [[0x0002c903, 0x00a00003, 7, 0, 0x0002c903, 0x00100007, 1000.5], [0x0002c903, 0x00a00004, 8, 1, 0x0002c903, 0x00100008, 2000.25]]);
  const vguids: number[][] = [];
  r.forEachVguid((...row) => vguids.push(row));
  t.deepEqual(vguids.sort((a, b) => a[1]! - b[1]!), [[0x0002c903, 0x00a00001, 1, 3], [0xffffffff, 0xfffffffe, 4, 0xfffffff0]], 'full 32-bit halves, no sign or BigInt');
  const subs: Array<[number, number, InformFields]> = [];
  r.forEachSubscription(new InformFields(), (h, l, f) => subs.push([h, l, { ...f } as InformFields]));
  t.deepEqual(subs.map(([h, l]) => [h, l]), [[0x0002c903, 0x00100007], [0x0002c903, 0x00a00001]]);
  t.deepEqual({ ...subs[0]![2] }, { ...fields() });
  t.is(subs[1]![2].gidPrefixHigh, 0xfe800000);
  t.deepEqual(r.notices(), [{ trap: 69, vguidHigh: 0x0002c903, vguidLow: 0x00a00001, newLid: 8, oldLid: 7, vmState: 1, newPortHigh: 0x0002c903, newPortLow: 0x00100008, oldPortHigh: 0x0002c903, oldPortLow: 0x00100007, seq: 5 }]);

  // Removal: re-park moves to the young end; unsubscribe uses the SA's exact match; notices retire.
  r.transaction(() => {
    r.park(0x0002c903, 0x00a00003, 7, 0, 0x0002c903, 0x00100007, 3000);
    r.unpark(0x0002c903, 0x00a00004);
    r.deleteAlias(0x0002c903, 0x00a00002);
  });
  t.false(r.removeSubscription(0x0002c903, 0x00100007, fields({ trapNumber: 68 })), 'another trap number names no subscription');
  t.true(r.removeSubscription(0x0002c903, 0x00100007, fields()));
  t.true(r.removeSubscription(0x0002c903, 0x00a00001, fields({ gidPrefixHigh: 0xfe800000, gidGuidHigh: 0x0002c903, gidGuidLow: 0x00a00001, lidRangeBegin: 1, lidRangeEnd: 9 })),
    'with a GID the LID range is not compared (OpenSM)');
  t.is(r.retireNotices(), 1);
  const after: number[][] = [];
  r.forEachParked((...row) => after.push(row));
  t.deepEqual(after, [[0x0002c903, 0x00a00003, 7, 0, 0x0002c903, 0x00100007, 3000]]);
  t.deepEqual(r.counts(), { hosts: 2, aliases: 1, parked: 1, vguids: 2, subscriptions: 0, notices: 0 });
  r.close();
});

const STORE_JS = fileURLToPath(new URL('../core/service/service-store.js', import.meta.url));

test('a transaction cut by SIGKILL between its statements leaves the state before it', (t) => {
  const path = tempDb();
  const s = ServiceStore.open(path, { slotsPerHost: 8 });
  s.transaction(() => {
    s.putHost(0, 7, 0, 0x100007);
    s.putAlias(0x0002c903, 0x00a00001, 0, 1, 7);
  });
  s.close();
  // A child process moves the alias (the Delete: alias row out, parked row in) and is killed
  // after the first of the two statements, inside the transaction.
  const script = `
    const { ServiceStore } = await import(${JSON.stringify(STORE_JS)});
    const s = ServiceStore.open(${JSON.stringify(path)}, { slotsPerHost: 8, afterWrite: (n) => { if (n === 1) process.kill(process.pid, 'SIGKILL'); } });
    s.transaction(() => {
      s.deleteAlias(0x0002c903, 0x00a00001);
      s.park(0x0002c903, 0x00a00001, 7, 0, 0, 0x100007, 1);
    });
    console.log('not reached');`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  t.is(child.signal, 'SIGKILL', `the child died by SIGKILL: ${child.stderr}`);
  t.is(child.stdout, '');
  const r = ServiceStore.open(path, { slotsPerHost: 8 });
  t.deepEqual(r.counts(), { hosts: 1, aliases: 1, parked: 0, vguids: 0, subscriptions: 0, notices: 0 }, 'the alias is still on its port; nothing parked');
  // The same transaction run to its end commits both rows.
  r.transaction(() => {
    r.deleteAlias(0x0002c903, 0x00a00001);
    r.park(0x0002c903, 0x00a00001, 7, 0, 0, 0x100007, 1);
  });
  r.close();
  const again = ServiceStore.open(path, { slotsPerHost: 8 });
  t.deepEqual(again.counts(), { hosts: 1, aliases: 0, parked: 1, vguids: 0, subscriptions: 0, notices: 0 });
  again.close();
});

test('an exception inside a transaction rolls every statement of it back', (t) => {
  const path = tempDb();
  const s = ServiceStore.open(path, { slotsPerHost: 8 });
  t.throws(() => s.transaction(() => {
    s.putHost(0, 7, 0, 0x100007);
    throw new Error('handler failed');
  }), { message: 'handler failed' });
  t.is(s.counts().hosts, 0);
  s.close();
});

test('files that are not a repath service database are refused, naming the file and the problem', (t) => {
  const text = tempDb('notes.txt');
  writeFileSync(text, 'not a database at all, just some text that is long enough to have a header\n'.repeat(20));
  t.throws(() => ServiceStore.open(text, { slotsPerHost: 8 }), { instanceOf: ServiceStoreError, message: `--db ${text}: not an SQLite database (file is not a database)` });
  t.is(readFileSync(text, 'utf8').slice(0, 7), 'not a d', 'the file is left as it was');

  const foreign = tempDb('other.db');
  const db = new Database(foreign);
  db.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT)');
  db.close();
  t.throws(() => ServiceStore.open(foreign, { slotsPerHost: 8 }), { message: `--db ${foreign}: not a repath service database (application_id 0x0, tables: accounts)` });

  const path = tempDb();
  ServiceStore.open(path, { slotsPerHost: 8 }).close();
  t.throws(() => ServiceStore.open(path, { slotsPerHost: 16 }), { message: `--db ${path}: written with --slots 8; started with --slots 16 (the alias tables must have the same shape)` });
  const newer = new Database(path);
  newer.pragma('user_version = 9');
  newer.close();
  t.throws(() => ServiceStore.open(path, { slotsPerHost: 8 }), { message: `--db ${path}: schema version 9; this repath reads version 1` });
  const appId = new Database(path);
  t.is(appId.pragma('application_id', { simple: true }), REPATH_DB_APPLICATION_ID);
  appId.close();
});

test('a corrupt repath database is refused with one line', (t) => {
  const path = tempDb();
  const s = ServiceStore.open(path, { slotsPerHost: 8 });
  s.transaction(() => {
    for (let i = 0; i < 2000; i++) s.putAlias(0x0002c903, i + 1, i % 4, 1 + (i % 8), 7);
  });
  s.close(); // checkpoints the WAL into the main file
  // Scribble over the middle pages (b-tree pages of the alias table), keeping the header.
  const fd = openSync(path, 'r+');
  const junk = Buffer.alloc(4096 * 3, 0xa5);
  writeSync(fd, junk, 0, junk.length, 4096 * 2);
  closeSync(fd);
  const e = t.throws(() => ServiceStore.open(path, { slotsPerHost: 8 }), { instanceOf: ServiceStoreError });
  t.regex(e!.message, new RegExp(`^--db ${path}: (corrupt|not an SQLite database) \\(`));
  t.false(e!.message.includes('\n'), 'one line');
});

const CLI = fileURLToPath(new URL('../core/cli/main.js', import.meta.url));

test('repath service --db on a foreign or corrupt file: one line on stderr naming the file, exit 2, before any port is opened', (t) => {
  const junk = tempDb('junk.db');
  writeFileSync(junk, Buffer.alloc(8192, 0x5a));
  const r = spawnSync(process.execPath, [CLI, 'service', '--db', junk], { encoding: 'utf8' });
  t.is(r.status, 2);
  t.is(r.stdout, '');
  t.is(r.stderr, `repath: --db ${junk}: not an SQLite database (file is not a database)\n`);
  const foreign = tempDb('other.db');
  const db = new Database(foreign);
  db.exec('CREATE TABLE t (x)');
  db.close();
  const f = spawnSync(process.execPath, [CLI, 'service', '--db', foreign], { encoding: 'utf8' });
  t.is(f.status, 2);
  t.is(f.stderr, `repath: --db ${foreign}: not a repath service database (application_id 0x0, tables: t)\n`);
});

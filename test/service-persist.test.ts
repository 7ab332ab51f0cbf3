// The signalling service with its SQLite store, in virtual time over an in-memory transport; the
// test plays OpenSM's SA and the Dom0s (as test/interop-service.test.ts does). A "crash" is the
// service object abandoned without closing anything, and a new one started on the same file
// through a new connection: exactly what a SIGKILL leaves, since every commit is on disk when
// it returns (the real SIGKILL runs in test/service-store.test.ts and test/service-restart.test.ts).
import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GuidInfoRecordMask, MadStatus, Method, SaAttr, TrapNumber } from '../core/mad/constants.js';
import { MadView } from '../core/mad/mad-view.js';
import { EventQueue } from '../core/engine/event-queue.js';
import { Counters } from '../core/metrics/counters.js';
import { fillDom0InformInfo } from '../core/dom0/dom0.js';
import type { MadSink, SinkRole } from '../core/fabric/transport.js';
import { SignallingService, type PortTransport } from '../core/service/signalling-service.js';
import { ServiceStore } from '../core/service/service-store.js';
import { nativeCostModel } from '../core/native-transport/native-process.js';

const SERVICE_LID = 5;
const SM_LID = 1;
const PORT = (lid: number): [number, number] => [0x0002c903, 0x00100000 + lid];
const VM: [number, number] = [0x0002c903, 0x00a00001];

interface Out {
  mad: Uint8Array;
  dstLid: number;
}

class MemoryTransport implements PortTransport {
  readonly lid = SERVICE_LID;
  readonly portGuidHigh = 0x0002c903;
  readonly portGuidLow = 0x00100005;
  readonly smLid = SM_LID;
  readonly out: Out[] = [];
  /** Reports (Notice) sent, kept apart from the request/answer traffic. */
  readonly reports: Out[] = [];
  /** Runs as each MAD leaves (the test looks at the database at that instant). */
  onSend: ((o: Out) => void) | undefined;
  bind(_lid: number, _role: SinkRole, _sink: MadSink): void {}
  send(mad: Uint8Array, _sl: number, _sq: number, _sgh: number, _sgl: number, dl: number): void {
    const o = { mad: mad.slice(), dstLid: dl };
    this.onSend?.(o);
    (mad[3] === Method.Report ? this.reports : this.out).push(o);
  }
  take(): Out[] {
    return this.out.splice(0);
  }
}

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDb(): string {
  const dir = mkdtempSync(join(os.tmpdir(), 'repath-persist-'));
  dirs.push(dir);
  return join(dir, 'service.db');
}

/** One service process: its own clock, queue, transport, counters, and (optionally) a store on `db`. */
function start(db: string | undefined, costOverrides: Record<string, unknown> = {}, wallMs = { now: 1_000_000 }) {
  const queue = new EventQueue();
  const tr = new MemoryTransport();
  const counters = new Counters();
  const store = db === undefined ? undefined : ServiceStore.open(db, { slotsPerHost: 8 });
  const service = new SignallingService({
    transport: tr, scheduler: queue, cost: nativeCostModel(costOverrides), counters, maxHosts: 8, slotsPerHost: 8,
    ...(store !== undefined ? { store, wallClockMs: () => wallMs.now + queue.nowNs / 1e6 } : {}),
  });
  const run = (until = queue.nowNs): void => {
    while (queue.size > 0 && queue.peekTime() <= until) {
      queue.pop();
      service.onEvent(queue.kind, queue.a, queue.b, queue.c, queue.nowNs);
    }
  };
  const from = (lid: number, mad: Uint8Array): void => {
    service.receive(mad, lid, 1, 0, 0, SERVICE_LID, 1, 0, 0, queue.nowNs);
    run();
  };
  const smAnswers = (req: Out, guids: Array<[number, number]>): void => {
    const q = new MadView().wrap(req.mad);
    const res = new MadView().wrapForWrite(new Uint8Array(256)).initResponseTo(q, q.method === Method.Delete ? Method.DeleteResp : Method.GetResp, MadStatus.Ok);
    res.guidInfoRecord.lid = q.guidInfoRecord.lid;
    res.guidInfoRecord.blockNum = q.guidInfoRecord.blockNum;
    guids.forEach(([h, l], k) => res.guidInfoRecord.setGuid(k, h, l));
    from(SM_LID, res.bytes);
  };
  /** A PF at `lid` subscribes (the service first asks the SM who the port is). */
  const subscribe = (t: ExecutionContext, lid: number, on: 0 | 1 = 1): void => {
    const ii = new MadView().wrapForWrite(new Uint8Array(256)).initSa(Method.Set, SaAttr.InformInfo, 0xd0030000, lid);
    fillDom0InformInfo(ii, on);
    from(lid, ii.bytes);
    let out = tr.take();
    if (out[0]?.dstLid === SM_LID) {
      smAnswers(out[0], [PORT(lid)]);
      out = tr.take();
    }
    t.is(new MadView().wrap(out[0]!.mad).status, MadStatus.Ok, `InformInfo from LID ${lid} answered OK`);
  };
  /** A Dom0 at `lid` sets (or deletes) alias index 1; the SM accepts. Returns the answer to the Dom0. */
  const alias = (method: number, lid: number, guid: [number, number]): Out => {
    from(lid, guidRecord(method, lid, 1, method === Method.Delete ? [0, 0] : guid));
    smAnswers(tr.take()[0]!, method === Method.Delete ? [PORT(lid)] : [PORT(lid), guid]);
    return tr.take().find((o) => o.dstLid === lid)!;
  };
  const reports = (): Out[] => {
    run(queue.nowNs);
    return tr.reports.splice(0);
  };
  const answerReports = (rs: Out[]): void => {
    for (const r of rs) {
      const q = new MadView().wrap(r.mad);
      from(r.dstLid, new MadView().wrapForWrite(new Uint8Array(256)).initResponseTo(q, Method.ReportResp, MadStatus.Ok).bytes);
    }
  };
  return { queue, tr, counters, store, service, run, from, subscribe, alias, reports, answerReports };
}

function guidRecord(method: number, lid: number, index: number, guid: [number, number]): Uint8Array {
  const v = new MadView().wrapForWrite(new Uint8Array(256)).initSa(method, SaAttr.GuidInfoRecord, 0xd0010000, lid * 100 + index);
  v.componentMaskHigh = 0;
  v.componentMaskLow = ((1 << GuidInfoRecordMask.LID) | (1 << GuidInfoRecordMask.BLOCK_NUM) | (1 << (GuidInfoRecordMask.GID0 + (index & 7)))) >>> 0;
  v.guidInfoRecord.lid = lid;
  v.guidInfoRecord.blockNum = index >>> 3;
  v.guidInfoRecord.setGuid(index & 7, guid[0], guid[1]);
  return v.bytes;
}

test('the Delete\'s answer leaves only once the parked record is committed (another connection sees it)', (t) => {
  const db = tempDb();
  const a = start(db);
  a.subscribe(t, 7);
  a.alias(Method.Set, 7, VM);
  const reader = new Database(db, { readonly: true });
  const seen: number[] = [];
  a.tr.onSend = (o) => {
    if (o.dstLid === 7) seen.push((reader.prepare('SELECT count(*) AS n FROM parked WHERE vguid_lo = ?').get(VM[1]) as { n: number }).n);
  };
  a.alias(Method.Delete, 7, VM);
  t.deepEqual(seen, [1], 'at the instant the DeleteResp is sent, the parked row is on disk');
  reader.close();
  t.is(a.service.journal!.stats.mismatches, 0);
});

test('a crash between the Delete and the Set: the restarted service finds the parked record and sends RePath to every subscriber', (t) => {
  const db = tempDb();
  const a = start(db);
  a.subscribe(t, 7);
  a.subscribe(t, 8);
  a.alias(Method.Set, 7, VM);
  a.alias(Method.Delete, 7, VM);
  t.is(a.service.sm.trapTable.size, 1);
  t.is(a.service.journal!.stats.mismatches, 0);
  // Crash: the first process is abandoned as it is (its connection not even closed).

  const b = start(db);
  t.deepEqual(b.service.restored, { hosts: 2, aliases: 0, parked: 1, subscriptions: 2, noticesResent: 0 });
  t.is(b.service.sm.subscriptions.count, 2);
  t.is(b.service.sm.trapTable.size, 1);
  const ans = b.alias(Method.Set, 8, VM);
  t.is(new MadView().wrap(ans.mad).status, MadStatus.Ok);
  t.is(b.counters.get('smMigrations'), 1, 'Algorithm 1 sees the move across the restart');
  const rs = b.reports();
  t.deepEqual(rs.map((r) => r.dstLid).sort(), [7, 8], 'one Report per subscribed PF');
  for (const r of rs) {
    const n = new MadView().wrap(r.mad).notice;
    t.is(n.trapNumber, TrapNumber.RePath);
    t.is(n.oldLid, 7);
    t.is(n.newLid, 8);
    t.deepEqual([n.oldPortGuidHigh, n.oldPortGuidLow], PORT(7), 'the old port from the parked record');
  }
  t.is(b.store!.counts().notices, 1, 'the RePath is pending until its Reports are answered');
  b.answerReports(rs);
  t.is(b.service.sm.reports.outstanding, 0);
  t.is(b.store!.counts().notices, 0, 'retired once every Report is answered');
  t.deepEqual(b.store!.counts(), { hosts: 2, aliases: 1, parked: 0, vguids: 1, subscriptions: 2, notices: 0 });
  t.is(b.service.journal!.stats.mismatches, 0);

  // The control: the same restart without the database sees a creation, and tells no one.
  const c = start(undefined);
  c.alias(Method.Set, 8, VM);
  t.is(c.counters.get('smMigrations'), 0);
  t.is(c.counters.get('smCreations'), 1);
  t.is(c.reports().length, 0, 'no Report: the migration is not detected');
});

test('a RePath whose Reports were not answered before the crash is reported again after the restart', (t) => {
  const db = tempDb();
  const a = start(db);
  a.subscribe(t, 7);
  a.subscribe(t, 8);
  a.alias(Method.Set, 7, VM);
  a.alias(Method.Delete, 7, VM);
  a.alias(Method.Set, 8, VM);
  const first = a.reports();
  t.is(first.length, 2);
  a.answerReports(first.slice(0, 1)); // one answered, then the crash
  t.is(a.store!.counts().notices, 1);

  const b = start(db);
  t.is(b.service.restored!.noticesResent, 1);
  const again = b.reports();
  t.deepEqual(again.map((r) => r.dstLid).sort(), [7, 8], 'at least once: every matching subscriber gets it again');
  const n = new MadView().wrap(again[0]!.mad).notice;
  t.is(n.trapNumber, TrapNumber.RePath);
  t.is(n.newLid, 8);
  t.is(n.oldLid, 7);
  t.is(n.sequence, new MadView().wrap(first[0]!.mad).notice.sequence, 'the same sequence: a repeat, not a newer notice');
  b.answerReports(again);
  t.is(b.store!.counts().notices, 0);
  t.is(b.service.sm.lidOfGuid(VM[0], VM[1]), 8, 'the alias is where the SM has it');
  // Restarting once more finds nothing pending.
  const c = start(db);
  t.is(c.service.restored!.noticesResent, 0);
  t.is(c.reports().length, 0);
});

test('unsubscribe, reboot on the same port and trap expiry are mirrored; park times survive the restart as wall time', (t) => {
  const db = tempDb();
  const wall = { now: 5_000_000 };
  const a = start(db, { trapExpiryNs: 2e9 }, wall);
  a.subscribe(t, 7);
  a.subscribe(t, 8);
  a.subscribe(t, 8, 0);
  t.is(a.store!.counts().subscriptions, 1, 'the unsubscribe removed its row');
  // Reboot: Delete and Set on the same port: no notice, nothing parked afterwards.
  a.alias(Method.Set, 7, VM);
  a.alias(Method.Delete, 7, VM);
  a.alias(Method.Set, 7, VM);
  t.is(a.counters.get('smReboots'), 1);
  t.deepEqual(a.store!.counts(), { hosts: 2, aliases: 1, parked: 0, vguids: 1, subscriptions: 1, notices: 0 });
  a.alias(Method.Delete, 7, VM);
  a.run(a.queue.nowNs + 0.5e9);
  const parkedNs = a.service.sm.trapTable.parkedAt(a.service.sm.trapTable.find(VM[0], VM[1]));

  // Restart 1 s of wall time later: the record has 1 s left of its 2 s, not 2 s.
  wall.now += 1000 + (a.queue.nowNs - parkedNs) / 1e6;
  const b = start(db, { trapExpiryNs: 2e9 }, wall);
  t.is(b.service.sm.trapTable.size, 1);
  t.true(Math.abs(b.service.sm.trapTable.parkedAt(b.service.sm.trapTable.oldest) - -1e9) < 1e3, 'parked 1 s before the new process started');
  b.run(0.9e9);
  t.is(b.service.sm.trapTable.size, 1, 'not expired before its time');
  b.run(1.1e9);
  t.is(b.service.sm.trapTable.size, 0, 'expired 2 s after the park, across the restart');
  const rs = b.reports();
  t.is(rs.length, 1);
  t.is(new MadView().wrap(rs[0]!.mad).notice.trapNumber, TrapNumber.UnPath);
  t.is(b.store!.counts().parked, 0);
  t.is(b.store!.counts().notices, 1);
  b.answerReports(rs);
  t.is(b.store!.counts().notices, 0);
  t.is(b.service.journal!.stats.mismatches, 0);
});

test('a database written for more host ports than --max-hosts is refused, naming the file', (t) => {
  const db = tempDb();
  const s = ServiceStore.open(db, { slotsPerHost: 8 });
  s.putHost(12, 40, 0x0002c903, 0x00100040);
  s.close();
  t.throws(() => start(db), { message: `--db ${db}: host slot 12 is beyond --max-hosts 8` });
});

// The cost of persistence in the signalling service's Set/Delete path (issue 7, item 3): the
// same migrations handled by one SignallingService without a store, with --db-sync normal and
// with --db-sync full, in one run, side by side. Each migration is a GUIDInfoRecord Delete at
// the source and a Set at the destination, each relayed to a stand-in SM (answered in place, as
// OpenSM would echo it) and acknowledged; the Set's RePath goes to the subscribed PFs, whose
// ReportResps retire the pending notice. Every change is one SQLite transaction written before
// its acknowledgement leaves.
//
//   node dist/bench/service-store.bench.js [--migrations N] [--results-dir DIR]
//
// Writes results/reliability/service-store.json. Wall-clock rates on a shared machine are noisy;
// the ratios against the no-store run of the same process are the figures to read. The database
// lives in os.tmpdir() (its file system is in the notes): fsync cost is the disk's, not SQLite's.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { benchMain, isEntryPoint, resultsDirFlag } from './bench-main.js';
import { GuidInfoRecordMask, MadStatus, Method, SaAttr } from '../core/mad/constants.js';
import { MadView } from '../core/mad/mad-view.js';
import { EventQueue } from '../core/engine/event-queue.js';
import { Counters } from '../core/metrics/counters.js';
import { fillDom0InformInfo } from '../core/dom0/dom0.js';
import type { MadSink, SinkRole } from '../core/fabric/transport.js';
import { SignallingService, type PortTransport } from '../core/service/signalling-service.js';
import { ServiceStore, type StoreSync } from '../core/service/service-store.js';
import { nativeCostModel } from '../core/native-transport/native-process.js';
import { machineFacts, writeBenchResult, type BenchResult, resultsDirOr } from './bench-result.js';

const SM_LID = 1;
const SERVICE_LID = 2;
const HOSTS = 64;
const SLOTS = 8;
const SUBSCRIBED = 8;
const FIRST_LID = 16;

/** Keeps the last relayed request (to the SM) and the Reports; answers go nowhere. */
class BenchTransport implements PortTransport {
  readonly lid = SERVICE_LID;
  readonly portGuidHigh = 0x0002c903;
  readonly portGuidLow = 0x00100002;
  readonly smLid = SM_LID;
  readonly toSm = new Uint8Array(256);
  readonly reports: Uint8Array[] = [];
  readonly reportLids: number[] = [];
  bind(_lid: number, _role: SinkRole, _sink: MadSink): void {}
  send(mad: Uint8Array, _sl: number, _sq: number, _sgh: number, _sgl: number, dl: number): void {
    if (dl === SM_LID) this.toSm.set(mad.subarray(0, 256));
    else if (mad[3] === Method.Report) {
      this.reports.push(mad.slice(0, 256));
      this.reportLids.push(dl);
    }
  }
}

interface Mode {
  name: string;
  sync: StoreSync | undefined;
}

interface ModeResult {
  mode: string;
  migrations: number;
  changes: number;
  transactions: number;
  rowWrites: number;
  seconds: number;
  mismatches: number;
}

let runs = 0;
const portGuidLow = (h: number): number => 0x00100000 + FIRST_LID + h;
const vguidLow = (v: number): number => 0x00a00000 + v;

function runMode(mode: Mode, migrations: number, dir: string): ModeResult {
  const queue = new EventQueue();
  const tr = new BenchTransport();
  // A new file per run: a start on an existing file would load (restore) the previous run's tables.
  const store = mode.sync === undefined ? undefined : ServiceStore.open(join(dir, `${mode.sync}-${++runs}.db`), { slotsPerHost: SLOTS, sync: mode.sync });
  const service = new SignallingService({
    transport: tr, scheduler: queue, cost: nativeCostModel(), counters: new Counters(), maxHosts: HOSTS, slotsPerHost: SLOTS,
    ...(store !== undefined ? { store } : {}),
  });
  for (let h = 0; h < HOSTS; h++) service.registerHost(FIRST_LID + h, 0x0002c903, portGuidLow(h));
  const drain = (): void => {
    // Everything due, then the timers (no-ops once answered): virtual time is free.
    while (queue.size > 0) {
      queue.pop();
      service.onEvent(queue.kind, queue.a, queue.b, queue.c, queue.nowNs);
    }
  };
  const req = new MadView();
  const reqBytes = new Uint8Array(256);
  const sm = new MadView();
  const smBytes = new Uint8Array(256);
  const resp = new MadView();
  const respBytes = new Uint8Array(256);
  const q = new MadView();
  /** A Dom0 at host h sets (guid != 0) or deletes alias index `index`; the SM accepts. */
  const alias = (h: number, index: number, guidLow: number): void => {
    const lid = FIRST_LID + h;
    const method = guidLow === 0 ? Method.Delete : Method.Set;
    const v = req.wrapForWrite(reqBytes).initSa(method, SaAttr.GuidInfoRecord, 0xd0010000, index);
    v.componentMaskHigh = 0;
    v.componentMaskLow = ((1 << GuidInfoRecordMask.LID) | (1 << GuidInfoRecordMask.BLOCK_NUM) | (1 << (GuidInfoRecordMask.GID0 + (index & 7)))) >>> 0;
    v.guidInfoRecord.lid = lid;
    v.guidInfoRecord.blockNum = index >>> 3;
    v.guidInfoRecord.setGuid(index & 7, guidLow === 0 ? 0 : 0x0002c903, guidLow);
    service.receive(reqBytes, lid, 1, 0, 0, SERVICE_LID, 1, 0, 0, queue.nowNs);
    // The SM's answer to the relayed request: the port's block with the change applied.
    const relayed = q.wrap(tr.toSm);
    const a = sm.wrapForWrite(smBytes).initResponseTo(relayed, method === Method.Delete ? Method.DeleteResp : Method.GetResp, MadStatus.Ok);
    a.guidInfoRecord.lid = lid;
    a.guidInfoRecord.blockNum = index >>> 3;
    a.guidInfoRecord.setGuid(0, 0x0002c903, portGuidLow(h));
    a.guidInfoRecord.setGuid(index & 7, guidLow === 0 ? 0 : 0x0002c903, guidLow);
    service.receive(smBytes, SM_LID, 1, 0, 0, SERVICE_LID, 1, 0, 0, queue.nowNs);
  };
  const answerReports = (): void => {
    for (let i = 0; i < tr.reports.length; i++) {
      const r = q.wrap(tr.reports[i]!);
      resp.wrapForWrite(respBytes).initResponseTo(r, Method.ReportResp, MadStatus.Ok);
      service.receive(respBytes, tr.reportLids[i]!, 1, 0, 0, SERVICE_LID, 1, 0, 0, queue.nowNs);
    }
    tr.reports.length = 0;
    tr.reportLids.length = 0;
  };
  // Setup: PFs subscribe, every VM created in slot 1..SLOTS of its host (one VM per slot).
  for (let h = 0; h < SUBSCRIBED; h++) {
    const ii = req.wrapForWrite(reqBytes).initSa(Method.Set, SaAttr.InformInfo, 0xd0030000, h);
    fillDom0InformInfo(ii, 1);
    service.receive(reqBytes, FIRST_LID + h, 1, 0, 0, SERVICE_LID, 1, 0, 0, queue.nowNs);
  }
  const vms = HOSTS * (SLOTS - 1); // one free slot per host to migrate into
  const hostOf = new Int32Array(vms);
  const slotOf = new Int32Array(vms);
  const free = new Int32Array(HOSTS).fill(SLOTS); // each host's free slot index
  for (let v = 0; v < vms; v++) {
    hostOf[v] = v % HOSTS;
    slotOf[v] = 1 + Math.floor(v / HOSTS);
    alias(hostOf[v]!, slotOf[v]!, vguidLow(v));
  }
  drain();
  const writes0 = store?.writes ?? 0;
  const tx0 = service.journal?.stats.transactions ?? 0;
  // Timed: VM v moves into the free slot of the next host; its old slot becomes that host's free one.
  const t0 = process.hrtime.bigint();
  for (let m = 0; m < migrations; m++) {
    const v = (m * 7) % vms;
    const from = hostOf[v]!;
    const to = (from + 1 + (m % (HOSTS - 1))) % HOSTS;
    alias(from, slotOf[v]!, 0);
    const slot = free[to]!;
    alias(to, slot, vguidLow(v));
    free[from] = slotOf[v]!;
    hostOf[v] = to;
    slotOf[v] = slot;
    drain();
    answerReports();
    drain();
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const result: ModeResult = {
    mode: mode.name,
    migrations,
    changes: migrations * 2,
    transactions: (service.journal?.stats.transactions ?? 0) - tx0,
    rowWrites: (store?.writes ?? 0) - writes0,
    seconds,
    mismatches: service.journal?.stats.mismatches ?? 0,
  };
  store?.close();
  return result;
}

function fileSystemOf(dir: string): string {
  const r = spawnSync('df', ['-T', dir], { encoding: 'utf8' });
  const line = r.status === 0 ? r.stdout.trim().split('\n')[1] : undefined;
  return line?.split(/\s+/)[1] ?? 'unknown';
}

export function serviceStoreBench(migrations: number): BenchResult {
  const dir = mkdtempSync(join(os.tmpdir(), 'repath-store-bench-'));
  try {
    const modes: Mode[] = [{ name: 'no store', sync: undefined }, { name: 'db-sync normal', sync: 'normal' }, { name: 'db-sync full', sync: 'full' }];
    // A short warm-up of each mode (JIT, page cache), then the measured runs.
    for (const m of modes) runMode(m, Math.min(200, migrations), dir);
    const results = modes.map((m) => runMode(m, migrations, dir));
    const base = results[0]!;
    const usPer = (r: ModeResult) => (r.seconds * 1e6) / r.changes;
    const rows = results.map((r) => ({
      mode: r.mode,
      migrations: r.migrations,
      'acknowledged changes': r.changes,
      transactions: r.transactions,
      'row writes': r.rowWrites,
      'transactions per migration': Math.round((r.transactions / r.migrations) * 100) / 100,
      'row writes per migration': Math.round((r.rowWrites / r.migrations) * 100) / 100,
      'changes/s': Math.round(r.changes / r.seconds),
      'transactions/s': r.transactions === 0 ? 0 : Math.round(r.transactions / r.seconds),
      'row writes/s': r.rowWrites === 0 ? 0 : Math.round(r.rowWrites / r.seconds),
      'us per change': Math.round(usPer(r) * 10) / 10,
      'store cost us per change': Math.round((usPer(r) - usPer(base)) * 10) / 10,
      'time vs no store': Math.round((r.seconds / base.seconds) * 100) / 100,
    }));
    return {
      suite: 'service-store',
      title: 'Signalling service persistence: SQLite cost in the Set/Delete path',
      command: `node dist/bench/service-store.bench.js${migrations !== 2000 ? ` --migrations ${migrations}` : ''}`,
      rows,
      targets: [
        { name: 'Journal mismatches (derived notices vs the SM\'s counters)', target: '0', measured: results.reduce((s, r) => s + r.mismatches, 0), met: results.every((r) => r.mismatches === 0) },
        { name: 'Changes acknowledged without a transaction of their own (db-sync full)', target: '0', measured: Math.max(0, results[2]!.changes - results[2]!.transactions), met: results[2]!.transactions >= results[2]!.changes },
      ],
      notes: [
        `${HOSTS} host ports x ${SLOTS} alias slots, ${HOSTS * (SLOTS - 1)} VMs, ${SUBSCRIBED} PFs subscribed; each migration = Delete + Set relayed and acknowledged, one RePath reported to ${SUBSCRIBED} PFs and answered. Transactions per migration: the Delete's, the Set's (alias row, parked row out, vGUID row, pending RePath row) and, when the Report sender falls idle, one retiring the pending notices.`,
        'A change is acknowledged only after its transaction commits. db-sync full: fsync per commit (power-loss safe); normal: WAL commit reaches the OS (process-crash safe, SIGKILL included), fsync at checkpoints.',
        `Database in ${os.tmpdir()} on ${fileSystemOf(dir)}. Wall clock on a shared machine: read the ratios within one run.`,
      ],
      machine: machineFacts(),
      generatedAt: new Date().toISOString(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isEntryPoint(import.meta.url)) {
  await benchMain(
    {
      script: 'service-store.bench.js',
      about: 'The signalling service\'s Set/Delete path without a store and with --db-sync normal and full, side by side; writes results/reliability/service-store.json, exit code 1 when a target is missed.',
      flags: {
        migrations: { type: 'positiveInteger', default: 2000, description: 'migrations per side' },
        'results-dir': resultsDirFlag('reliability/service-store.json'),
      },
    },
    ({ migrations, 'results-dir': dir }) => {
      const resultsDir = resultsDirOr(dir);
      const result = serviceStoreBench(migrations);
      for (const r of result.rows) console.log(JSON.stringify(r));
      for (const t of result.targets) console.log(`${t.met ? 'ok  ' : 'FAIL'} ${t.name}: ${t.measured} (target ${t.target})`);
      console.log(`wrote ${writeBenchResult(join(resultsDir, 'reliability', 'service-store.json'), result)}`);
      return result.targets.every((t) => t.met) ? 0 : 1;
    },
  );
}

// Issue 7 item 3, the acceptance test: `repath service --db FILE` beside a real OpenSM on ibsim,
// three `repath dom0` agents, a VM migrating. The service is killed with SIGKILL after the
// source's GUIDInfoRecord Delete was acknowledged and before the destination's Set; restarted
// on the same database (same ibsim node, so the same LID the agents were told), it loads the
// parked record and the subscriptions, sees the Set as a migration and sends RePath to every
// subscribed Dom0, whose VMs' caches then equal a fresh PathRecord from OpenSM (saquery).
// The control runs the same sequence without --db: the restarted service knows nothing, the Set
// is a creation, no Report is sent and the peers' caches stay on the old LID.
//
// Each run has its own fabric (a SIGKILLed client never says goodbye to ibsim, whose client
// table is small); every process is stopped by PID (OpenSmFabric).
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { nativeUnavailableReason } from '../native/umad.js';
import { OpenSmFabric, ibsimUnavailableReason } from './support/opensm-ibsim.js';
import { RepathProcess, waitFor, type Reply } from './support/repath-process.js';
import { DOM0_HOSTS, SERVICE_HOST, planGuid, smDlid, type VmPlan } from './support/interop-plan.js';

const skipReason = nativeUnavailableReason() ?? ibsimUnavailableReason();
const interop = skipReason === null ? test.serial : test.serial.skip;
const note = skipReason === null ? '' : ` (skipped: ${skipReason})`;


function plan(tag: number): VmPlan[] {
  const g = (n: number): string => planGuid(tag, n);
  return [
    { name: 'a1', host: 0, guid: g(1), peers: ['b1', 'c1'] },
    { name: 'b1', host: 1, guid: g(2), peers: ['a1'] },
    { name: 'c1', host: 2, guid: g(3), peers: ['a1', 'b1'] },
  ];
}
const MIGRATING = 'a1';
const DEST = 2;

type Counts = Record<string, number>;
interface CacheVm {
  name: string;
  entries: { vguid: string; dlid: number }[];
}



async function stats(p: RepathProcess): Promise<Reply & { counters: Counts }> {
  return (await p.command('stats')) as Reply & { counters: Counts };
}

async function caches(agents: RepathProcess[]): Promise<Map<string, CacheVm>> {
  const all = new Map<string, CacheVm>();
  for (const a of agents) for (const vm of (await a.command('cache')).vms as CacheVm[]) all.set(vm.name, vm);
  return all;
}

/** SIGKILL by PID; the process leaves `procs` (RepathProcess.quit waits for an exit that already happened). */
async function sigkill(p: RepathProcess, procs: RepathProcess[]): Promise<void> {
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill('SIGKILL');
  await exited;
  procs.splice(procs.indexOf(p), 1);
}

async function scenario(t: ExecutionContext, withDb: boolean, tag: number): Promise<void> {
  const fabric = await OpenSmFabric.start({ hcaCount: 4 });
  const procs: RepathProcess[] = [];
  try {
    const db = join(fabric.dir, 'service.db');
    const serviceArgs = ['service', '--ibsim', '--json-log', ...(withDb ? ['--db', db] : [])];
    const first = await RepathProcess.start(fabric, SERVICE_HOST, serviceArgs);
    procs.push(first.proc);
    if (withDb) t.deepEqual(first.ready.restored, { hosts: 0, aliases: 0, parked: 0, subscriptions: 0, noticesResent: 0 }, 'a new database');
    const agents: RepathProcess[] = [];
    for (const host of DOM0_HOSTS) {
      const { proc } = await RepathProcess.start(fabric, host, ['dom0', '--ibsim', '--service-lid', String(first.ready.lid), '--subscriber', 'pf']);
      procs.push(proc);
      agents.push(proc);
    }
    const vms = plan(tag);
    const guidOf = new Map(vms.map((v) => [v.name, v.guid]));
    for (const vm of vms) await agents[vm.host]!.command(`create ${vm.name} ${vm.guid}`);
    await waitFor('every alias set and every PF subscribed', async () => {
      const s = await stats(first.proc);
      return s.vguids === vms.length && s.subscriptions === DOM0_HOSTS.length ? s : undefined;
    });
    for (const vm of vms) for (const p of vm.peers) await agents[vm.host]!.command(`peer ${vm.name} ${guidOf.get(p)!}`);
    const before = await waitFor('every peer cached', async () => {
      const c = await caches(agents);
      return vms.every((vm) => c.get(vm.name)?.entries.length === vm.peers.length) ? c : undefined;
    });
    const moving = vms.find((v) => v.name === MIGRATING)!;
    const oldLid = before.get('b1')!.entries.find((e) => e.vguid === moving.guid)!.dlid;

    // The Delete, acknowledged to the source Dom0 ...
    const source = agents[moving.host]!;
    const answersBefore = (await stats(source)).counters.dom0GuidRecordAnswers ?? 0;
    await source.command(`migrate-out ${MIGRATING}`);
    await waitFor('the Delete acknowledged to the source Dom0', async () => (((await stats(source)).counters.dom0GuidRecordAnswers ?? 0) > answersBefore ? true : undefined));
    t.is((await stats(first.proc)).parked, 1, 'parked in the trap table');
    // ... then the service dies before the Set.
    await sigkill(first.proc, procs);
    t.is(first.proc.child.signalCode, 'SIGKILL');

    const second = await RepathProcess.start(fabric, SERVICE_HOST, serviceArgs);
    procs.push(second.proc);
    t.is(second.ready.lid, first.ready.lid, 'restarted at the LID the agents were told');
    if (withDb) {
      t.deepEqual(second.ready.restored, { hosts: DOM0_HOSTS.length, aliases: vms.length - 1, parked: 1, subscriptions: DOM0_HOSTS.length, noticesResent: 0 },
        'the subscriptions, LID-vGUID table and trap table loaded from the database');
    } else {
      t.is(second.ready.restored, undefined);
    }

    // The Set at the destination; the VM re-resolves its own peers there.
    const dest = agents[DEST]!;
    const destAnswers = (await stats(dest)).counters.dom0GuidRecordAnswers ?? 0;
    await dest.command(`migrate-in ${MIGRATING} ${moving.guid}`);
    // (The first request to a restarted process may need the Dom0's retry: waited for, not timed.)
    await waitFor('the Set acknowledged to the destination Dom0', async () => (((await stats(dest)).counters.dom0GuidRecordAnswers ?? 0) > destAnswers ? true : undefined));
    for (const p of moving.peers) await dest.command(`peer ${MIGRATING} ${guidOf.get(p)!}`);
    const truth = new Map<string, number>();
    await waitFor('the migrated VM\'s peers cached', async () => {
      const c = await caches(agents);
      return c.get(MIGRATING)?.entries.length === moving.peers.length ? c : undefined;
    });
    for (const vm of vms) truth.set(vm.guid, await smDlid(fabric, vm.guid));
    t.not(truth.get(moving.guid), oldLid, 'OpenSM resolves the migrated vGUID to its new port');

    if (withDb) {
      const s = await waitFor('every Report answered', async () => {
        const r = await stats(second.proc);
        return (r.counters.smRecvReportResp ?? 0) >= DOM0_HOSTS.length && r.reportsOutstanding === 0 && r.parked === 0 ? r : undefined;
      });
      t.is(s.counters.smMigrations, 1, 'the migration is detected across the restart');
      t.is(s.counters.smNoticesRePath, 1);
      t.is(s.counters.smSentReport, DOM0_HOSTS.length, 'one Report per subscribed PF');
      t.is((s.store as { mismatches: number }).mismatches, 0);
      const reports = await Promise.all(agents.map(async (a) => (await stats(a)).counters.dom0ReportsReceived ?? 0));
      t.deepEqual(reports, [1, 1, 1], 'the RePath reached every subscribed Dom0');
      const fixed = await waitFor('every cache equal to OpenSM', async () => {
        const c = await caches(agents);
        return vms.every((vm) => c.get(vm.name)!.entries.every((e) => e.dlid === truth.get(e.vguid))) ? c : undefined;
      });
      let checked = 0;
      for (const vm of vms) {
        for (const e of fixed.get(vm.name)!.entries) {
          t.is(e.dlid, truth.get(e.vguid) ?? -1, `${vm.name}'s cache for ${e.vguid} equals OpenSM's PathRecord DLID`);
          checked++;
        }
      }
      t.is(checked, vms.reduce((n, v) => n + v.peers.length, 0));
    } else {
      const s = await stats(second.proc);
      t.is(s.subscriptions, 0, 'the subscriptions died with the process');
      t.is(s.counters.smCreations, 1, 'the Set looks like a creation');
      t.is(s.counters.smMigrations ?? 0, 0, 'the migration is NOT detected');
      t.is(s.counters.smSentReport ?? 0, 0, 'no Report sent');
      const reports = await Promise.all(agents.map(async (a) => (await stats(a)).counters.dom0ReportsReceived ?? 0));
      t.deepEqual(reports, [0, 0, 0]);
      const c = await caches(agents);
      const stale = vms.flatMap((vm) => c.get(vm.name)!.entries.filter((e) => e.vguid === moving.guid && e.dlid !== truth.get(e.vguid)!).map(() => vm.name));
      t.deepEqual(stale.sort(), ['b1', 'c1'], 'the peers still send to the old LID');
      t.is(c.get('b1')!.entries.find((e) => e.vguid === moving.guid)!.dlid, oldLid);
    }
  } finally {
    for (const p of procs) await p.quit().catch(() => null);
    await fabric.stop();
  }
}

interop(`--db: SIGKILL between the Delete and the Set; the restarted service detects the migration and every cache ends equal to OpenSM${note}`, async (t) => {
  t.timeout(90_000);
  await scenario(t, true, 0x31);
});

interop(`control, no --db: the same SIGKILL and restart lose the migration (no RePath, peers stale)${note}`, async (t) => {
  t.timeout(90_000);
  await scenario(t, false, 0x32);
});

// Interop with a real subnet manager: OpenSM on ibsim, `repath service` on one HCA and three
// `repath dom0` agents on three others, all real processes speaking MADs through libibumad
// (under the umad2sim shim). VMs are created, their peers cached with real PathRecord queries,
// one VM migrates; afterwards every cache entry must equal the DLID a fresh PathRecord query to
// OpenSM (saquery) returns, and the service's SM-side counts must match the scheme's exact
// expectations (DESIGN.md): per-pf one InformInfo Set and one Report per Dom0, per-vguid one
// per VM. The MAD traces the processes wrote (--pcap) must decode in tshark.
//
// ibsim's quirks are taken through the explicit --ibsim flag of both commands (IsSM to receive
// requests/Reports; VF GUIDs in the GRH trailer). At most 10 ibsim clients: OpenSM + service +
// 3 agents + one saquery at a time. The two runs share one fabric, one after the other.
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeUnavailableReason } from '../native/umad.js';
import { readMadTrace } from '../core/trace/erf-pcap.js';
import { OpenSmFabric, ibsimUnavailableReason } from './support/opensm-ibsim.js';
import { RepathProcess, waitFor, type Reply } from './support/repath-process.js';
import { DOM0_HOSTS, SERVICE_HOST, planGuid, smDlid, type VmPlan } from './support/interop-plan.js';

const tsharkMissing = spawnSync('tshark', ['--version']).status !== 0;
const skipReason = nativeUnavailableReason() ?? ibsimUnavailableReason() ?? (tsharkMissing ? 'tshark not installed (apt-get install tshark)' : null);
const interop = skipReason === null ? test.serial : test.serial.skip;
const note = skipReason === null ? '' : ` (skipped: ${skipReason})`;


/** Four VMs over three hypervisors; vm "a1" migrates from the first to the third. */
function plan(tag: number): VmPlan[] {
  const g = (n: number): string => planGuid(tag, n);
  return [
    { name: 'a1', host: 0, guid: g(1), peers: ['b1', 'c1'] },
    { name: 'a2', host: 0, guid: g(2), peers: ['c1'] },
    { name: 'b1', host: 1, guid: g(3), peers: ['a1', 'a2'] },
    { name: 'c1', host: 2, guid: g(4), peers: ['a1', 'b1'] },
  ];
}
const MIGRATING = 'a1';
const MIGRATION_DEST = 2;



type Counts = Record<string, number>;

async function serviceStats(service: RepathProcess): Promise<Reply & { counters: Counts }> {
  return (await service.command('stats')) as Reply & { counters: Counts };
}

interface CacheVm {
  name: string;
  attached: boolean;
  entries: { vguid: string; dlid: number }[];
}

async function caches(agents: RepathProcess[]): Promise<Map<string, CacheVm>> {
  const all = new Map<string, CacheVm>();
  for (const a of agents) for (const vm of (await a.command('cache')).vms as CacheVm[]) all.set(vm.name, vm);
  return all;
}

/** tshark's view of a pcap: one line per frame with the MAD's class, method and attribute. */
function tsharkFields(path: string): string[][] {
  const r = spawnSync('tshark', ['-r', path, '-T', 'fields', '-E', 'separator=,', '-e', 'infiniband.mad.mgmtclass', '-e', 'infiniband.mad.method', '-e', 'infiniband.mad.attributeid', '-e', '_ws.malformed'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tshark -r ${path}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(','));
}

/** The responses in a MAD trace whose status is not 0: "slid->dlid method attribute status" each. */
function statusAnswers(path: string): string[] {
  const out: string[] = [];
  for (const r of readMadTrace(new Uint8Array(readFileSync(path)))) {
    const m = r.mad;
    const status = (m[4]! << 8) | m[5]!;
    if ((m[3]! & 0x80) === 0 || status === 0) continue;
    const hex = (x: number, w: number) => `0x${x.toString(16).padStart(w, '0')}`;
    out.push(`${r.slid}->${r.dlid} method ${hex(m[3]!, 2)} attribute ${hex((m[16]! << 8) | m[17]!, 4)} status ${hex(status, 4)}`);
  }
  return out;
}

async function scenario(t: ExecutionContext, fabric: OpenSmFabric, subscriber: 'pf' | 'vguid', tag: number): Promise<void> {
  const procs: RepathProcess[] = [];
  const pcaps: string[] = [];
  try {
    const svcPcap = join(fabric.dir, `service-${subscriber}.pcap`);
    pcaps.push(svcPcap);
    const { proc: service, ready } = await RepathProcess.start(fabric, SERVICE_HOST, ['service', '--ibsim', '--json-log', '--pcap', svcPcap]);
    procs.push(service);
    const agents: RepathProcess[] = [];
    for (const host of DOM0_HOSTS) {
      const pcap = join(fabric.dir, `dom0-${host}-${subscriber}.pcap`);
      pcaps.push(pcap);
      const { proc } = await RepathProcess.start(fabric, host, [
        'dom0', '--ibsim', '--service-lid', String(ready.lid), '--subscriber', subscriber, '--pcap', pcap,
      ]);
      procs.push(proc);
      agents.push(proc);
    }
    const vms = plan(tag);
    const guidOf = new Map(vms.map((v) => [v.name, v.guid]));
    for (const vm of vms) await agents[vm.host]!.command(`create ${vm.name} ${vm.guid}`);
    const subscribers = subscriber === 'pf' ? DOM0_HOSTS.length : vms.length;
    await waitFor('every alias GUID set and every subscription in', async () => {
      const s = await serviceStats(service);
      return s.vguids === vms.length && s.subscriptions === subscribers ? s : undefined;
    });
    for (const vm of vms) for (const p of vm.peers) await agents[vm.host]!.command(`peer ${vm.name} ${guidOf.get(p)!}`);
    const before = await waitFor('every peer cached', async () => {
      const c = await caches(agents);
      return vms.every((vm) => c.get(vm.name)?.entries.length === vm.peers.length) ? c : undefined;
    });
    const oldLid = before.get('b1')!.entries.find((e) => e.vguid === guidOf.get(MIGRATING))!.dlid;

    // The migration: out of its host (GUIDInfoRecord Delete: parked), into another (Set: RePath).
    const moving = vms.find((v) => v.name === MIGRATING)!;
    await agents[moving.host]!.command(`migrate-out ${MIGRATING}`);
    await waitFor('the alias parked in the trap table', async () => ((await serviceStats(service)).parked === 1 ? true : undefined));
    await agents[MIGRATION_DEST]!.command(`migrate-in ${MIGRATING} ${moving.guid}`);
    // The VM uses its port once OpenSM has acknowledged the Set that puts its vGUID there (the
    // service then unparks it). Before that, OpenSM may check a PathRecord query's SGID before
    // applying the Set: its dispatcher runs SA requests on several threads. Two refused requests
    // were seen once on a loaded CI machine in the per-vguid run, whose queries go to OpenSM;
    // the migrated VM's two queries sent right after its Set fit that. A refused VM retries and
    // gets its answer, but refusals are no part of the scheme's counts.
    await waitFor('the alias set at its new port', async () => {
      const s = await serviceStats(service);
      return s.parked === 0 && s.vguids === vms.length ? true : undefined;
    });
    // Its memory (the cache) does not travel between processes here: the VM re-resolves its peers.
    for (const p of moving.peers) await agents[MIGRATION_DEST]!.command(`peer ${MIGRATING} ${guidOf.get(p)!}`);
    const stats = await waitFor('every Report answered', async () => {
      const s = await serviceStats(service);
      const c = s.counters;
      return (c.smRecvReportResp ?? 0) >= subscribers && s.reportsOutstanding === 0 && s.parked === 0 ? s : undefined;
    });

    // Every cache entry equals what OpenSM answers now; the peers of the migrated VM moved.
    const after = await waitFor('every cache entry updated', async () => {
      const c = await caches(agents);
      return c.get(MIGRATING)?.entries.length === moving.peers.length ? c : undefined;
    });
    const truth = new Map<string, number>();
    for (const vm of vms) truth.set(vm.guid, await smDlid(fabric, vm.guid));
    t.not(truth.get(moving.guid), oldLid, 'OpenSM resolves the migrated vGUID to its new port');
    let checked = 0;
    for (const vm of vms) {
      const state = after.get(vm.name)!;
      t.true(state.attached, `${vm.name} attached`);
      t.is(state.entries.length, vm.peers.length, `${vm.name} caches ${vm.peers.length} peers`);
      for (const e of state.entries) {
        t.is(e.dlid, truth.get(e.vguid) ?? -1, `${subscriber}: ${vm.name}'s cache for ${e.vguid} equals OpenSM's PathRecord DLID`);
        checked++;
      }
    }
    t.is(checked, vms.reduce((n, v) => n + v.peers.length, 0));

    // SM-side MAD counts: the scheme's exact expectations for one migration.
    const c = stats.counters;
    t.is(c.smRecvInformInfo, subscribers, `${subscriber}: InformInfo Sets = ${subscribers}`);
    t.is(c.smSentInformInfoResp, subscribers, 'each InformInfo answered');
    t.is(c.smSubscribes, subscribers);
    t.is(c.smNoticesRePath, 1, 'one RePath notice');
    t.is(c.smMigrations, 1);
    t.is(c.smCreations, vms.length);
    t.is(c.smSentReport, subscribers, `${subscriber}: one Report per subscriber`);
    t.is(c.smRecvReportResp, subscribers + (c.smSentReportRetry ?? 0), 'every Report (and re-send) answered by one ReportResp');
    t.is(c.smReportsAbandoned ?? 0, 0);
    const refused = c.smSentErrorResp ?? 0;
    t.is(refused, 0, 'no request refused');
    t.is((stats.service as Counts).setsRefusedBySm, 0);
    // GUIDInfoRecord: 4 creates + Delete + Set of the migration, relayed to OpenSM and answered.
    t.is(c.smRecvGuidInfoRecord, vms.length + 2);
    t.is(c.smSentGuidInfoRecordResp, vms.length + 2);
    // Operators without a control pipe: SIGUSR2 prints the same stats line.
    service.child.kill('SIGUSR2');
    const viaSignal = (await service.next()) as Reply & { counters: Counts };
    t.is(viaSignal.counters.smSentReport, c.smSentReport, 'SIGUSR2 prints the stats line');
    const dom0Reports = await Promise.all(agents.map(async (a) => ((await a.command('stats')).counters as Counts).dom0ReportsReceived ?? 0));
    if (subscriber === 'pf') {
      t.deepEqual(dom0Reports, [1, 1, 1], 'each PF got one Report');
    } else {
      // per-vguid: the VFs are the subscribers; every VM got its own Report (forwarded by demux, not Algorithm 2).
      const vmCounts = await Promise.all(agents.map(async (a) => ((await a.command('stats')).counters as Counts).dom0DemuxToVf ?? 0));
      t.true(vmCounts.every((n) => n > 0), 'Reports reached the VFs by GRH demultiplexing');
    }

    // The MAD traces decode in tshark: every frame an InfiniBand MAD, none malformed.
    for (const p of procs) await p.command('flush');
    let frames = 0;
    for (const path of pcaps) {
      t.true(existsSync(path), `${path} written`);
      const mads = [...readMadTrace(new Uint8Array(readFileSync(path)))].length;
      const rows = tsharkFields(path);
      t.is(rows.length, mads, `${path}: tshark reads every frame`);
      for (const [cls, method, attr, malformed] of rows) {
        t.is(cls, '0x03', `${path}: SA class`);
        t.truthy(method, 'method decoded');
        t.truthy(attr, 'attribute decoded');
        t.falsy(malformed, `${path}: not malformed`);
      }
      frames += rows.length;
    }
    // A refusal against a real OpenSM has been seen once on a loaded CI machine: say which MADs
    // carried a non-zero status (OpenSM's answers to relays and the service's own answers).
    if (refused > 0) t.log(`answers with a non-zero status in ${svcPcap}: ${statusAnswers(svcPcap).join('; ')}; service stats ${JSON.stringify(stats.service)}`);
    const svcRows = tsharkFields(svcPcap);
    t.true(svcRows.some(([, m, a]) => m === '0x06' && a === '0x0002'), 'the Report(Notice) is in the service trace');
    t.true(frames > 0);
  } finally {
    for (const p of procs) await p.quit().catch(() => null);
  }
}

let fabric: OpenSmFabric | undefined;

test.before(async () => {
  if (skipReason === null) fabric = await OpenSmFabric.start({ hcaCount: 4 });
});

test.after.always(async () => {
  await fabric?.stop();
});

interop(`per-pf: service + 3 Dom0 agents beside OpenSM keep every cache right across a migration${note}`, async (t) => {
  t.timeout(60_000);
  await scenario(t, fabric!, 'pf', 1);
});

interop(`per-vguid: every VM subscribes with its vGUID; one Report per VM${note}`, async (t) => {
  t.timeout(60_000);
  await scenario(t, fabric!, 'vguid', 2);
});

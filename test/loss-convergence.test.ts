// Issue 7, item 1: MAD loss on the emulated fabric. Every scheme converges (0 stale entries)
// at 1% and 10% loss, setup included; per-kind loss isolates each recovery path, and the counts
// change exactly by the retransmissions. Seeded: the same run twice gives the same counters.
import test from 'ava';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { defaultCostModel, withOverrides } from '../core/engine/cost-model.js';
import { LossKind, lossKindOf, parseLossKinds, ALL_LOSS_KINDS } from '../core/fabric/loss-kinds.js';
import { SCHEMES, type SchemeName } from '../core/scenario/scenario.js';
import { isSignalling } from '../core/schemes.js';
import { MadView } from '../core/mad/mad-view.js';
import { Method, SaAttr, VmState } from '../core/mad/constants.js';
import type { CounterName } from '../core/metrics/counters.js';
import { lossScenario, runLossCase } from '../bench/loss.bench.js';
import { handScenario } from './patent-fixtures.js';

type Counts = Record<CounterName, number>;

/** Per-kind runs lose a third of one kind: 8 re-sends (not the default 3) keep abandonment out of the picture. */
const PATIENT = { reportMaxRetries: 8, clientMaxRetries: 8 };

function storm(scheme: SchemeName, loss: number, kinds = ALL_LOSS_KINDS, extra: Record<string, number> = {}): { c: Counts; stale: number; sub: EmulatedSubnet } {
  const s = lossScenario({ seed: 7, hosts: 12, vmsPerHost: 5, migrations: 10 });
  const sub = new EmulatedSubnet(s, scheme, { cost: withOverrides(defaultCostModel(), { lossProbability: loss, lossKinds: kinds, ...extra }) });
  sub.setup('mads');
  sub.scheduleMigrations();
  sub.run();
  const { stale } = sub.countStale();
  return { c: sub.counters.toObject(), stale, sub };
}

const retries = (c: Counts) =>
  c.smSentReportRetry + c.dom0RequestRetries + c.dom0InformInfoRetries + c.dom0TrapRetries + c.vmSaQueryTimeouts + c.vmInformInfoRetries;

for (const scheme of SCHEMES) {
  for (const loss of [0.01, 0.1]) {
    test(`${scheme} at ${loss * 100}% loss on every MAD kind converges: 0 stale entries, retries counted, seeded`, (t) => {
      const a = storm(scheme, loss);
      t.true(a.c.fabricDropped > 0, 'MADs were lost');
      t.true(retries(a.c) > 0, 'and re-sent');
      t.is(a.stale, 0);
      t.true(a.c.cacheEntries > 0);
      t.is(a.sub.sm.reports.outstanding, 0, 'no Report left waiting');
      t.is(a.sub.dom0.pendingTraps.outstanding, 0, 'no Trap left waiting');
      t.is(a.c.migrations, 10);
      t.deepEqual(storm(scheme, loss).c, a.c, 'same seed, same counters');
    });
  }
}

test('only ReportResps lost: Reports re-sent with the same TID, counts change exactly by the re-sends', (t) => {
  for (const scheme of ['per-vguid', 'per-pf', 'per-pf-interest'] as const) {
    const base = storm(scheme, 0, ALL_LOSS_KINDS, PATIENT).c;
    const { c, stale } = storm(scheme, 0.3, LossKind.ReportResp, PATIENT);
    t.is(stale, 0, scheme);
    t.true(c.smSentReportRetry > 0, `${scheme}: ReportResps lost, Reports re-sent`);
    t.is(c.fabricDropped, c.fabricReportResp - c.smRecvReportResp, `${scheme}: only ReportResps were dropped`);
    t.is(c.smSentReport, base.smSentReport, `${scheme}: the same Reports`);
    t.is(c.fabricReport, base.fabricReport + c.smSentReportRetry, `${scheme}: plus one wire Report per re-send`);
    t.is(c.smNoticesRePath, base.smNoticesRePath);
    t.is(c.vmCacheUpdates, base.vmCacheUpdates, `${scheme}: Algorithm 3 updates unchanged (a repeated notice finds the DLID already right)`);
    // A duplicate Report can reach a peer that was itself migrating when the first copy came: fewer RC fallbacks, never more.
    t.true(c.smRecvPathRecord <= base.smRecvPathRecord, `${scheme}: no extra RC fallback`);
    if (scheme !== 'per-vguid') t.is(c.dom0ReportsReceived, c.smSentReport + c.smSentReportRetry, 'every copy, first or re-sent, reached its Dom0');
    t.is(c.smReportsAbandoned, 0);
  }
});

test('only Reports lost: re-sent until delivered; every subscriber answers once per delivered copy', (t) => {
  const base = storm('per-pf', 0, ALL_LOSS_KINDS, PATIENT).c;
  const { c, stale } = storm('per-pf', 0.3, LossKind.Report, PATIENT);
  t.is(stale, 0);
  t.true(c.smSentReportRetry > 0);
  t.is(c.fabricDropped, c.fabricReport - c.dom0ReportsReceived, 'only Reports were dropped');
  t.is(c.smSentReport, base.smSentReport);
  t.is(c.smRecvReportResp + c.smReportsAbandoned, c.smSentReport, 'each Report answered once, or abandoned');
});

test('only PathRecords lost: VM queries re-sent on timeout (setup and RC fallback), nothing else re-sent', (t) => {
  const { c, stale } = storm('static-no-signal', 0.1, LossKind.PathRecord);
  t.is(stale, 0);
  t.true(c.vmSaQueryTimeouts > 0);
  t.is(c.smSentReportRetry + c.dom0RequestRetries + c.dom0InformInfoRetries + c.dom0TrapRetries, 0);
  t.true(c.fabricDropped > 0);
  t.is(c.smRecvGuidInfoRecord, c.fabricGuidInfoRecord / 2, 'GUIDInfoRecords all delivered (one answer each)');
});

test('InformInfo Sets are re-sent until acknowledged: every host (per-pf) or VM (per-vguid) ends up subscribed', (t) => {
  for (const scheme of ['per-pf', 'per-vguid'] as const) {
    const { c, sub } = storm(scheme, 0.4, LossKind.InformInfo, PATIENT);
    const expected = scheme === 'per-pf' ? sub.scenario.hosts : sub.scenario.vms;
    t.true(c.dom0InformInfoRetries + c.vmInformInfoRetries > 0, `${scheme}: some InformInfo lost and re-sent`);
    t.is(c.dom0InformInfoAbandoned + c.vmInformInfoAbandoned, 0);
    t.is(sub.sm.subscriptions.count, expected, `${scheme}: one subscription each, re-sends add no duplicate`);
    t.is(c.dom0InformInfoAcks + c.vmInformInfoAcks, expected, `${scheme}: each acknowledged once (answers to re-sent copies counted as dropped)`);
  }
});

test('life-cycle Traps are re-sent until TrapRepress; the SM ends with the right state', (t) => {
  const s = handScenario({ hosts: 4, vmsPerHost: 3, migrations: [[0, 2, 1000], [4, 3, 2000], [7, 0, 3000]] });
  const sub = new EmulatedSubnet(s, 'per-pf', { cost: withOverrides(defaultCostModel(), { lossProbability: 0.4, lossKinds: LossKind.Trap, ...PATIENT }) });
  sub.setup('mads');
  sub.dom0.suspendVm(1, sub.nowNs);
  sub.dom0.suspendVm(5, sub.nowNs);
  sub.run();
  sub.dom0.resumeVm(5, sub.nowNs);
  sub.scheduleMigrations();
  sub.run();
  const c = sub.counters.toObject();
  t.true(c.dom0TrapRetries > 0, 'Traps or TrapRepresses were lost');
  t.is(c.dom0TrapsAbandoned, 0);
  t.is(c.dom0TrapRepressReceived, 2 + 1 + 3, 'every Trap repressed once');
  t.is(sub.dom0.pendingTraps.outstanding, 0);
  const state = (v: number) => sub.sm.vguidState(s.vmGuidHigh[v]!, s.vmGuidLow[v]!);
  t.is(state(1), VmState.Suspended);
  t.is(state(5), VmState.Running);
  for (const v of [0, 4, 7]) t.is(state(v), VmState.Running, `migrated VM ${v} runs at its destination`);
  t.is(sub.countStale().stale, 0);
});

test('a migration whose Delete is lost: the Set at the destination completes the move (Trap said migrating)', (t) => {
  const s = handScenario({ hosts: 3, vmsPerHost: 2 });
  const sub = new EmulatedSubnet(s, 'per-pf', {});
  sub.setup('mads');
  // Swallow the first GUIDInfoRecord Delete that reaches the SM: the source's Delete is lost.
  const sm = sub.sm;
  const original = sm.receive.bind(sm);
  let swallowed = 0;
  sm.receive = (mad, ...rest) => {
    if (swallowed === 0 && mad[3] === Method.Delete && ((mad[16]! << 8) | mad[17]!) === SaAttr.GuidInfoRecord) {
      swallowed++;
      return;
    }
    original(mad, ...rest);
  };
  const before = sub.counters.snapshot();
  sub.migrate(0, 2);
  sub.run();
  const d = sub.counters.minus(before).toObject();
  t.is(swallowed, 1);
  t.is(d.smMovesBeforeDelete, 1, 'the Set found the vGUID still at the source, migrating');
  t.is(d.smMigrations, 1, 'and it is a migration: RePath');
  t.is(d.dom0SetsRefused, 0);
  t.is(d.dom0RequestRetries, 1, 'the source re-sent its Delete, which found the index empty');
  t.is(sm.lidVguid.host(s.vmGuidHigh[0]!, s.vmGuidLow[0]!), 2);
  t.is(sub.countStale().stale, 0);
});

test('loss kinds: each MAD kind has its bit; names parse, unknown names are refused by name', (t) => {
  const m = new MadView().wrapForWrite(new Uint8Array(256));
  m.initSa(Method.Report, SaAttr.Notice, 0, 0);
  t.is(lossKindOf(m.bytes), LossKind.Report);
  m.initSa(Method.ReportResp, SaAttr.Notice, 0, 0);
  t.is(lossKindOf(m.bytes), LossKind.ReportResp);
  m.initSa(Method.Get, SaAttr.PathRecord, 0, 0);
  t.is(lossKindOf(m.bytes), LossKind.PathRecord);
  t.is(parseLossKinds('Report, reportresp'), LossKind.Report | LossKind.ReportResp);
  t.is(parseLossKinds('all'), ALL_LOSS_KINDS);
  t.throws(() => parseLossKinds('reports'), { message: /"reports" is not one of/ });
  t.throws(() => withOverrides(defaultCostModel(), { lossKinds: 0x80 }), { message: /lossKinds: 128 is above 127/ });
});

test('the loss benchmark rows: lossless rows add nothing; lossy rows cost extra SM MADs; all converge', (t) => {
  const s = lossScenario({ hosts: 8, vmsPerHost: 4, migrations: 6 });
  for (const scheme of SCHEMES) {
    const base = runLossCase(s, scheme, 0);
    const lossy = runLossCase(s, scheme, 0.1);
    t.is(base.dropped, 0);
    t.is(base.reportRetries + base.dom0Retries + base.vmRetries, 0, `${scheme}: no retries without loss`);
    t.is(lossy.stale, 0, scheme);
    t.true(lossy.smMads > base.smMads, `${scheme}: loss costs SM MADs`);
    if (isSignalling(scheme)) t.true(lossy.reportRetries + lossy.vmRetries > 0, `${scheme}: the extra MADs are counted as retries`);
  }
});

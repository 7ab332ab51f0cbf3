// The library API (core/api.ts): events agree with the counters, VM life cycle, scenario
// migrations, runScenario, and errors that name the value.
import test from 'ava';
import { Fabric, runScenario, FABRIC_EVENTS, generateScenario, SCHEMES } from '../core/index.js';
import type { NoticeSentEvent, NoticeForwardedEvent, CacheUpdatedEvent, ConnectionRestoredEvent } from '../core/index.js';

const OPTIONS = { hosts: 6, slotsPerHost: 6, vmsPerHost: 3, peersPerVm: 3, seed: 3 };

for (const scheme of SCHEMES) {
  test(`${scheme}: events match the counters of a migration`, async (t) => {
    const fabric = await Fabric.build(OPTIONS, { scheme });
    const sent: NoticeSentEvent[] = [];
    const forwarded: NoticeForwardedEvent[] = [];
    const updated: CacheUpdatedEvent[] = [];
    const restored: ConnectionRestoredEvent[] = [];
    fabric.on('notice-sent', (e) => sent.push(e));
    fabric.on('notice-forwarded', (e) => forwarded.push(e));
    fabric.on('cache-updated', (e) => updated.push(e));
    fabric.on('connection-restored', (e) => restored.push(e));
    t.is(fabric.hostOf(2), 0);
    fabric.migrate(2, 5);
    const events = await fabric.runUntilQuiet();
    t.true(events > 0);
    t.is(fabric.hostOf(2), 5);
    const m = fabric.metrics();
    t.is(sent.length, m.counters.smSentReport + m.counters.smSentReportRetry);
    t.is(forwarded.length, m.dom0Forwards);
    t.is(updated.length, m.vmCacheUpdates);
    t.is(restored.length, m.reconnectionLatencyUs.count);
    t.is(restored.length, m.counters.vmConnectionsRestored);
    t.is(m.staleEntries, 0);
    for (let i = 1; i < restored.length; i++) t.true(restored[i]!.timeNs >= restored[i - 1]!.timeNs, 'batch in time order');
    if (sent.length > 0) {
      t.is(sent[0]!.trap, 'RePath');
      t.regex(sent[0]!.vguid, /^0x[0-9a-f]{16}$/);
    }
    t.true(fabric.latencyHgrm().includes('Percentile'));
    fabric.close();
    t.throws(() => fabric.metrics(), { message: /after close/ });
  });
}

test('shutdown and create a VM; handlers can be removed', async (t) => {
  const fabric = await Fabric.build(OPTIONS, { scheme: 'per-pf' });
  let seen = 0;
  const off = fabric.on('notice-sent', () => seen++);
  fabric.shutdownVm(4);
  await fabric.runUntilQuiet();
  t.is(fabric.hostOf(4), -1);
  let m = fabric.metrics();
  t.is(m.counters.smDeletes, 1);
  t.is(m.smSent.report, 0, 'a shutdown is parked in the trap table, not reported (Algorithm 1)');
  const slot = fabric.createVm(4, 5);
  t.is(slot, 3, 'lowest free slot of host 5 (3 VMs on 6 slots)');
  await fabric.runUntilQuiet();
  m = fabric.metrics();
  t.is(fabric.hostOf(4), 5);
  t.is(m.smSent.report, 6, 'set again at another LID: a RePath to every host');
  t.is(seen, 6);
  off();
  fabric.migrate(4, 0);
  await fabric.runUntilQuiet();
  t.is(seen, 6, 'removed handler hears nothing');
  t.is(fabric.metrics().staleEntries, 0);
  fabric.close();
});

test('scenario migrations through the API equal runScenario', async (t) => {
  const options = { ...OPTIONS, migrations: 4 };
  const fabric = await Fabric.build(options, { scheme: 'per-pf-interest' });
  fabric.startScenarioMigrations();
  await fabric.runUntilQuiet();
  const m = fabric.metrics();
  fabric.close();
  const run = await runScenario(generateScenario(options), { schemes: ['per-pf-interest'] });
  t.deepEqual(m.counters, run.results[0]!.report.counters);
  t.is(m.reconnectionLatencyUs.p99, run.results[0]!.report.reconnectionLatencyUs.p99);
});

test('errors name the value', async (t) => {
  const fabric = await Fabric.build(OPTIONS, { scheme: 'per-pf' });
  t.throws(() => fabric.migrate(99, 1), { message: /vm: 99 is not in 0\.\.17/ });
  t.throws(() => fabric.migrate(1, 6), { message: /host: 6 is not in 0\.\.5/ });
  t.throws(() => fabric.createVm(1, 2), { message: /createVm vm: 1 is already on host 0/ });
  t.throws(() => fabric.on('nope' as never, () => undefined), { message: /event: "nope" is not one of/ });
  t.deepEqual([...FABRIC_EVENTS], ['notice-sent', 'notice-forwarded', 'cache-updated', 'connection-restored']);
  await t.throwsAsync(Fabric.build(OPTIONS, { scheme: 'per-host' as never }), { message: /scheme: "per-host"/ });
  await t.throwsAsync(Fabric.build(OPTIONS, { cost: { smServiceNs: -1 } }), { message: /smServiceNs: -1/ });
  fabric.close();
});

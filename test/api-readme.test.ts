// The README's library example, run as written (only the import path differs: the README
// imports from 'repath', the package's main, which is dist/core/index.js).
import test from 'ava';
import { Fabric } from '../core/index.js';

test('README example: one live migration under per-pf', async (t) => {
  const lines: string[] = [];
  const log = (...args: unknown[]) => lines.push(args.join(' '));

  // ---- README example begins
  const fabric = await Fabric.build(
    { hosts: 8, slotsPerHost: 8, vmsPerHost: 4, peersPerVm: 3, seed: 7 },
    { scheme: 'per-pf', cost: { hopLatencyNs: 150 } },
  );
  fabric.on('notice-sent', (e) => log(`${e.trap} for ${e.vguid} -> LID ${e.dlid} at ${e.timeNs} ns`));
  fabric.on('connection-restored', (e) => log(`peer reconnected after ${(e.latencyNs / 1000).toFixed(1)} us`));
  fabric.migrate(0, 7); // VM 0 moves to host 7
  await fabric.runUntilQuiet(); // events arrive here, in a batch, in virtual-time order
  const m = fabric.metrics();
  log(`Reports ${m.smSent.report}, Dom0 forwards ${m.dom0Forwards}, cache updates ${m.vmCacheUpdates}, stale ${m.staleEntries}`);
  log(`reconnection p99 ${m.reconnectionLatencyUs.p99} us over ${m.reconnectionLatencyUs.count} peers`);
  fabric.close();
  // ---- README example ends

  // per-pf, every host subscribed: one Report per host, Dom0s forward to every active VF (32).
  t.is(m.smSent.report, 8);
  t.is(m.smReceived.reportResp, 8);
  t.is(m.dom0Forwards, 32);
  t.is(m.staleEntries, 0);
  t.is(m.migrations, 1);
  t.true(m.vmCacheUpdates > 0, 'some VM cached a path to VM 0');
  t.is(m.reconnectionLatencyUs.count, m.vmCacheUpdates);
  t.is(lines.filter((l) => l.startsWith('RePath for 0x')).length, 8, 'one notice-sent event per Report');
  t.is(lines.filter((l) => l.startsWith('peer reconnected')).length, m.reconnectionLatencyUs.count);
  t.regex(lines.at(-2)!, /^Reports 8, Dom0 forwards 32, cache updates \d+, stale 0$/);
});

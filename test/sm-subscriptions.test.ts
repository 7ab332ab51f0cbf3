// OpenSM's InformInfo matching rules, and the SM's Report retry/abandon behaviour.
import test from 'ava';
import { InformFields, NoticeFields, Subscriptions } from '../core/sm/subscriptions.js';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { defaultCostModel, withOverrides } from '../core/engine/cost-model.js';
import type { MadSink } from '../core/fabric/transport.js';
import { SinkRole } from '../core/fabric/transport.js';
import { handScenario } from './patent-fixtures.js';

function repath(): NoticeFields {
  const n = new NoticeFields();
  n.isGeneric = 1;
  n.type = 3;
  n.trapNumber = 69;
  n.producerType = 4;
  n.issuerLid = 1;
  n.issuerGidPrefixHigh = 0xfe800000;
  n.issuerGidGuidHigh = 0x5e9a7000;
  n.issuerGidGuidLow = 1;
  return n;
}

test('wildcards: type 0xFFFF, trap 0xFFFF, producer 0xFFFFFF match; exact values must equal', (t) => {
  const s = new Subscriptions(4);
  const f = new InformFields(); // all wildcards, generic, all LIDs
  const r = s.add(0, 1, f);
  const n = repath();
  t.true(s.matches(r, n));
  const g = new InformFields();
  g.trapNumber = 68;
  const r68 = s.add(0, 2, g);
  t.false(s.matches(r68, n), 'trap number 68 does not match a RePath');
  const ty = new InformFields();
  ty.type = 4;
  t.false(s.matches(s.add(0, 3, ty), n), 'type must match');
  const pr = new InformFields();
  pr.producerType = 1;
  t.false(s.matches(s.add(0, 4, pr), n), 'producer type must match');
  const vendor = new InformFields();
  vendor.isGeneric = 0;
  t.false(s.matches(s.add(0, 5, vendor), n), 'IsGeneric is compulsory');
  t.is(s.vendorRows, 1);
});

test('GID filter (issuer GID) and LID range (only when the GID is zero)', (t) => {
  const s = new Subscriptions(4);
  const n = repath();
  const gid = new InformFields();
  gid.gidPrefixHigh = 0xfe800000;
  gid.gidGuidHigh = 0x5e9a7000;
  gid.gidGuidLow = 1;
  gid.lidRangeBegin = 100; // ignored: GID is set
  gid.lidRangeEnd = 200;
  t.true(s.matches(s.add(0, 1, gid), n));
  const other = new InformFields();
  other.gidGuidLow = 2;
  t.false(s.matches(s.add(0, 2, other), n));
  const range = new InformFields();
  range.lidRangeBegin = 1;
  range.lidRangeEnd = 1;
  t.true(s.matches(s.add(0, 3, range), n));
  const outside = new InformFields();
  outside.lidRangeBegin = 2;
  outside.lidRangeEnd = 9;
  t.false(s.matches(s.add(0, 4, outside), n));
});

test('unsubscribe needs the same subscriber and exactly the same fields; rows stay consistent', (t) => {
  const s = new Subscriptions(2);
  const a = new InformFields();
  const b = new InformFields();
  b.trapNumber = 69;
  t.true(s.add(7, 7, a) >= 0);
  t.is(s.add(7, 7, a), -1, 'identical subscribe is kept once');
  t.true(s.add(7, 7, b) >= 0);
  t.true(s.add(8, 8, a) >= 0); // grows past 2 rows
  t.false(s.remove(9, 9, a), 'another subscriber');
  const wild = new InformFields();
  wild.trapNumber = 68;
  t.false(s.remove(7, 7, wild), 'no wildcard matching when removing');
  t.true(s.remove(7, 7, a));
  t.is(s.count, 2);
  // After the swap-remove, the moved row is still found by its subscriber.
  t.true(s.firstMatchOf(8, 8, repath()) >= 0);
  t.true(s.firstMatchOf(7, 7, repath()) >= 0);
  t.true(s.remove(8, 8, a));
  t.true(s.remove(7, 7, b));
  t.is(s.count, 0);
});

/** A sink that swallows everything: a host whose Dom0 has died. */
const blackHole: MadSink = { receive() {} };

test('unanswered Reports are re-sent reportMaxRetries times, then abandoned; all counted', (t) => {
  const s = handScenario({ hosts: 3, vmsPerHost: 2 });
  // No re-drive rounds: this is the give-up path itself (re-drives: test/sm-queueing.test.ts).
  const cost = withOverrides(defaultCostModel(), { reportMaxRetries: 2, reportRespTimeoutNs: 1e6, reportRedriveRounds: 0 });
  const sub = new EmulatedSubnet(s, 'per-pf', { cost });
  sub.setup('mads');
  sub.fabric.bind(sub.lids.hostLid[1]!, SinkRole.Host, blackHole);
  const before = sub.counters.snapshot();
  sub.migrate(0, 2);
  sub.run();
  const d = sub.counters.minus(before).toObject();
  t.is(d.smSentReport, 3);
  t.is(d.smRecvReportResp, 2);
  t.is(d.smSentReportRetry, 2);
  t.is(d.smReportsAbandoned, 1);
  t.is(d.fabricReport, 3 + 2);
  t.is(sub.sm.reports.outstanding, 0);
  t.is(sub.sm.reports.activeJobs, 0);
  t.is(sub.countStale().stale, 2, "the dead host's two VMs keep the old LID");
});

test('with MAD loss, retries repair what was lost (seeded: same result every run)', (t) => {
  const s = handScenario({ hosts: 6, vmsPerHost: 2, migrations: [[0, 3, 1000], [4, 5, 1000], [9, 0, 5000]] });
  const cost = withOverrides(defaultCostModel(), { lossProbability: 0.2, reportMaxRetries: 20, reportRespTimeoutNs: 1e6 });
  const run = () => {
    const sub = new EmulatedSubnet(s, 'per-pf', { cost });
    sub.setup('direct');
    const before = sub.counters.snapshot();
    sub.scheduleMigrations();
    sub.run();
    sub.countStale();
    return sub.counters.minus(before).toObject();
  };
  const a = run();
  t.true(a.fabricDropped > 0, 'some MADs were lost');
  t.true(a.smSentReportRetry > 0, 'and Reports re-sent');
  t.is(a.smReportsAbandoned, 0);
  t.is(a.smSentReport, 3 * 6);
  t.is(a.smRecvReportResp, 3 * 6, 'every Report answered in the end (duplicates of a lost answer ignored)');
  t.is(a.staleEntries, 0, 'and every cache converged');
  t.deepEqual(run(), a);
});

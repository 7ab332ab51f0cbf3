// Issue 7 item 7: the reliability table of BENCHMARKS.md is computed from the result files'
// counts (stale entries + updates abandoned, silent losses), never written as a constant.
import test from 'ava';
import { reliabilityRows, reliabilitySection } from '../bench/reliability-table.js';
import { renderResults } from '../bench/report.js';
import type { BenchResult } from '../bench/bench-result.js';

const machine = { node: 'v20', cpus: 2, cpuModel: 'test', totalMemoryGiB: 1, platform: 'test' };
const result = (suite: string, rows: BenchResult['rows'], title = suite): BenchResult => ({
  suite,
  title,
  command: `node dist/bench/${suite}.bench.js`,
  rows,
  targets: [],
  notes: [],
  machine,
  generatedAt: '2026-01-01T00:00:00.000Z',
});

const loss = result('loss', [
  { scheme: 'per-pf', 'lost kinds': 'all', 'loss %': 0, 'MADs dropped': 0, 'SM MADs': 100, 'Report retries': 0, 'Dom0 retries': 0, 'VM retries': 0, 're-drives': 0, 'updates abandoned': 0, 'stale entries': 0 },
  { scheme: 'per-pf', 'lost kinds': 'all', 'loss %': 10, 'MADs dropped': 12, 'SM MADs': 130, 'Report retries': 5, 'Dom0 retries': 2, 'VM retries': 3, 're-drives': 1, 'updates abandoned': 0, 'stale entries': 0 },
  { scheme: 'per-vguid', 'lost kinds': 'all', 'loss %': 10, 'MADs dropped': 30, 'SM MADs': 300, 'Report retries': 20, 'Dom0 retries': 1, 'VM retries': 4, 're-drives': 0, 'updates abandoned': 1, 'stale entries': 2 },
]);
const fuzz = result('fuzz', [
  { target: 'decoder', inputs: 1000, 'silent losses': 0, unanswered: 0 },
  { target: 'sa', inputs: 500, 'silent losses': 1, unanswered: 0 },
]);
const load = result('load', [{ scheme: 'per-pf-interest', cost: 'clientMaxRetries=8', VMs: 160000, 'storm %': 10, migrations: 16000, 'SM Reports': 9, 'SA requests': 11, retries: 7, 're-drives': 3, 'updates abandoned': 0, 'stale entries': 0 }]);
const store = result('service-store', [{ case: 'kill between Delete and Set', kills: 3, writes: 40, 'updates lost': 0 }], 'Service store');

test('rows are read from the files: loss per rate, fuzz as one row, load per row, other suites by column names', (t) => {
  const rows = reliabilityRows([
    { path: 'reliability/fuzz.json', result: fuzz },
    { path: 'reliability/load.json', result: load },
    { path: 'reliability/loss.json', result: loss },
    { path: 'reliability/service-store.json', result: store },
    { path: 'micro/loss.json', result: loss }, // not under reliability/: not in the table
  ]);
  t.is(rows.length, 4);
  const [f, l, lo, st] = rows;
  t.like(f, { faultsInjected: 1500, inputsTried: 1500, updatesLost: 1 });
  t.like(l, { source: 'Load (per-pf-interest, clientMaxRetries=8)', faultsInjected: 16000, inputsTried: 20, retriesSpent: 10, updatesLost: 0 });
  t.like(lo, { fault: '10% loss of every MAD kind', faultsInjected: 42, inputsTried: 430, retriesSpent: 5 + 2 + 3 + 1 + 20 + 1 + 4, updatesLost: 3 });
  t.like(st, { source: 'Service store', faultsInjected: 3, inputsTried: 40, updatesLost: 0 });
});

test('the section totals the lost updates and marks rows that lost any; BENCHMARKS.md carries it after the targets', (t) => {
  const md = reliabilitySection([{ path: 'reliability/loss.json', result: loss }]).join('\n');
  t.regex(md, /Updates lost in total: \*\*3\*\*/);
  t.regex(md, /\| 3 ✗ \|/);
  t.deepEqual(reliabilitySection([{ path: 'micro/x.json', result: loss }]), [], 'no reliability results, no section');
  const doc = renderResults([{ path: 'reliability/loss.json', result: loss }]);
  t.true(doc.indexOf('## Targets') < doc.indexOf('## Reliability') && doc.indexOf('## Reliability') < doc.indexOf('## Suites'));
});

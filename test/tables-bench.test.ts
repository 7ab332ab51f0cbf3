import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTablesBench } from '../bench/tables.bench.js';

// A smoke run of the micro benchmark at a tiny size: it must produce the shared result shape
// with every family side by side against its Map baseline. No timing is asserted.
test('runTablesBench writes results/micro/tables.json with every family and the byte targets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repath-tables-bench-'));
  try {
    const result = await runTablesBench({ quick: true, resultsDir: dir, sizes: [200], timeMs: 30 });
    const written = JSON.parse(readFileSync(join(dir, 'micro', 'tables.json'), 'utf8'));
    t.deepEqual(written.rows, result.rows);
    t.is(result.suite, 'tables');
    t.is(result.command, 'node dist/bench/tables.bench.js --quick');
    const benches = result.rows.map((r) => r['bench']);
    t.deepEqual(benches, [
      'LID-vGUID lookup',
      'LID-vGUID lookup, batched (lidMany)',
      'Trap park+match+remove',
      'Dom0 GUID-cache scan, 16 VF slots/host',
      'Dom0 GUID-cache scan, 128 VF slots/host',
      'VM path-cache check, 64 peers/VM',
    ]);
    for (const row of result.rows) {
      t.true((row['ours ops/s'] as number) > 0);
      t.true((row['Map ops/s'] as number) > 0, `${row['bench']} measured its Map baseline`);
      t.true((row['Map B/entry'] as number) > 0);
      const huge = row['ours on 2 MiB pages %'];
      t.true(huge === 'n/a' || (typeof huge === 'number' && huge >= 0 && huge <= 100), `${row['bench']}: share of the table on huge pages`);
    }
    t.true(result.notes.some((n) => n.startsWith('Pages: transparent huge pages')), 'the result says which pages each side ran on');
    t.is(result.rows[0]!['ours B/entry'], Math.round(((64 + Math.ceil(200 / 0.75) * 16) / 200) * 100) / 100);
    // Below 10^5 no speedup target applies; the LID bytes-per-entry target always does.
    t.deepEqual(result.targets.map((x) => x.target), ['<= 24']);
    t.true(result.targets[0]!.met);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a --no-huge-pages run writes its own file, and the next run compares itself with it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'repath-tables-bench-'));
  try {
    const small = { quick: true, resultsDir: dir, sizes: [1e5], timeMs: 30, only: ['path'] };
    const four = await runTablesBench({ ...small, noHugePages: true });
    t.is(four.command, 'node dist/bench/tables.bench.js --quick --no-huge-pages');
    t.is(four.suite, 'tables-no-huge-pages');
    t.deepEqual(four.targets, [], 'the comparison run declares no targets of its own');
    t.regex(four.notes[0]!, /^4 KiB-page comparison run: .* \d+ of 1 target checks would be met\.$/);
    const written = JSON.parse(readFileSync(join(dir, 'micro', 'tables-no-huge-pages.json'), 'utf8'));
    t.deepEqual(written.rows, four.rows);
    t.false(four.notes.some((n) => n.startsWith('Both ways')));
    const main = await runTablesBench(small);
    const both = main.notes.find((n) => n.startsWith('Both ways'));
    t.truthy(both);
    t.regex(both!, /VM path-cache check, 64 peers\/VM 10\^5: ours [\d.]+ -> [\d.]+ ns\/op, speedup [\d.]+ -> [\d.]+/);
    t.true(both!.includes(four.generatedAt));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

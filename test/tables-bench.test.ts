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
    }
    t.is(result.rows[0]!['ours B/entry'], Math.round(((64 + Math.ceil(200 / 0.75) * 16) / 200) * 100) / 100);
    // Below 10^5 no speedup target applies; the LID bytes-per-entry target always does.
    t.deepEqual(result.targets.map((x) => x.target), ['<= 24']);
    t.true(result.targets[0]!.met);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

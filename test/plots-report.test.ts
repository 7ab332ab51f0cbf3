import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from '../bench/bench-result.js';
import { smMadsVsHosts } from '../bench/plots/charts.js';
import { renderSvg } from '../bench/plots/render-svg.js';
import { isBenchResult, loadBenchResults, renderBenchmarksMarkdown, writeBenchmarksMarkdown, writeSuitePlots } from '../bench/report.js';

const machine = { node: 'v20.0.0', cpus: 2, cpuModel: 'Test CPU', totalMemoryGiB: 8, platform: 'linux x64' };

function result(suite: string, overrides: Partial<BenchResult> = {}): BenchResult {
  return {
    suite,
    title: `Suite ${suite}`,
    command: `node dist/bench/${suite}.bench.js`,
    rows: [
      { bench: 'lookup', entries: 1000, 'ours ops/s': 16_425_319, 'Map ops/s': 3_156_310, speedup: 5.2 },
      { bench: 'lookup', entries: 100_000, 'ours ops/s': 16_707_280, 'Map ops/s': 1_009_136, speedup: 16.56 },
    ],
    targets: [{ name: 'lookup speed-up', target: '>= 5', measured: 5.2, met: true }],
    notes: [],
    machine,
    generatedAt: '2026-11-26T03:00:00.000Z',
    ...overrides,
  };
}

const SM_POINTS = [64, 1024, 49151].flatMap((h) => [
  { scheme: 'per-vguid', hosts: h, smMads: 32 * h },
  { scheme: 'per-pf', hosts: h, smMads: 2 * h },
]);

function tempResults(t: import('ava').ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'repath-plots-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** micro/tables.json (rates), scale/gen.json (no rates), sweep/hosts.json (declared plots), stray SVGs. */
async function fixture(dir: string): Promise<void> {
  for (const sub of ['micro', 'scale', 'sweep']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'micro', 'tables.json'), JSON.stringify(result('tables')));
  writeFileSync(join(dir, 'scale', 'gen.json'), JSON.stringify(result('gen', { rows: [{ case: 'x', ms: 981, vms: 786_416 }] })));
  writeFileSync(
    join(dir, 'sweep', 'hosts.json'),
    JSON.stringify(
      result('hosts', {
        rows: [{ hosts: 64, 'SM MADs': 2048 }],
        plots: [
          { file: 'sm-mads-vs-hosts.svg', title: 'SM MADs against hosts', spec: smMadsVsHosts(SM_POINTS) },
          { file: 'not-drawn.svg', title: 'Never drawn' },
        ],
      }),
    ),
  );
  const stray = await renderSvg(smMadsVsHosts(SM_POINTS, { title: 'A stray chart' }));
  writeFileSync(join(dir, 'micro', 'tables-by-size.svg'), stray); // claimed by micro/tables.json by name
  writeFileSync(join(dir, 'sweep', 'loose.svg'), stray); // claimed by nobody
}

test('writeSuitePlots draws declared specs and a throughput chart per micro suite, beside the JSON', async (t) => {
  const dir = tempResults(t);
  await fixture(dir);
  const written = await writeSuitePlots(dir);
  t.deepEqual(written, ['micro/tables-throughput.svg', 'sweep/sm-mads-vs-hosts.svg']);
  for (const path of written) {
    const svg = readFileSync(join(dir, path), 'utf8');
    t.true(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'), path);
  }
  const throughput = readFileSync(join(dir, 'micro', 'tables-throughput.svg'), 'utf8');
  t.true(throughput.includes('>ours<') && throughput.includes('>Map<'), 'legend names the implementations');
  t.true(throughput.includes('ops per second'));
  t.is(readFileSync(join(dir, 'sweep', 'sm-mads-vs-hosts.svg'), 'utf8'), await renderSvg(smMadsVsHosts(SM_POINTS)));
  t.false(existsSync(join(dir, 'scale', 'gen-throughput.svg')), 'no rate column, no chart');
  t.false(existsSync(join(dir, 'sweep', 'not-drawn.svg')), 'no spec, nothing to draw');
  // Drawing again gives the same bytes.
  const before = readFileSync(join(dir, 'micro', 'tables-throughput.svg'), 'utf8');
  t.deepEqual(await writeSuitePlots(dir), written);
  t.is(readFileSync(join(dir, 'micro', 'tables-throughput.svg'), 'utf8'), before);
});

test('BENCHMARKS.md embeds each suite\'s plots under its table, then the unclaimed ones', async (t) => {
  const dir = tempResults(t);
  await fixture(dir);
  await writeSuitePlots(dir);
  const loaded = loadBenchResults(dir);
  t.deepEqual(
    loaded.map((r) => [r.path, (r.plots ?? []).map((p) => `${p.path}${p.exists ? '' : ' (missing)'}`)]),
    [
      ['micro/tables.json', ['micro/tables-by-size.svg', 'micro/tables-throughput.svg']],
      ['scale/gen.json', []],
      ['sweep/hosts.json', ['sweep/sm-mads-vs-hosts.svg', 'sweep/not-drawn.svg (missing)']],
    ],
  );
  const md = renderBenchmarksMarkdown(dir);
  const image = (title: string, path: string): string => `![${title}](results/${path})`;
  // Titles of SVGs found by name come from the chart itself.
  t.true(md.includes(image('A stray chart', 'micro/tables-by-size.svg')));
  t.true(md.includes(image('Suite tables', 'micro/tables-throughput.svg')));
  t.true(md.includes(image('SM MADs against hosts', 'sweep/sm-mads-vs-hosts.svg')));
  t.true(md.includes('_Plot "Never drawn": `results/sweep/not-drawn.svg` is missing; re-run the suite, then `npm run report`._'));
  // Under the suite's table, before its targets.
  const section = md.slice(md.indexOf('## Suite tables'), md.indexOf('## Suite gen'));
  const table = section.indexOf('| bench | entries |');
  const picture = section.indexOf('![Suite tables]');
  const targets = section.indexOf('Targets:');
  t.true(table > 0 && picture > table && targets > picture, `${table} ${picture} ${targets}`);
  // The SVG no result claims gets a section of its own, last.
  const other = md.indexOf('## Other plots');
  t.true(other > md.indexOf('## Suite hosts'));
  t.true(md.slice(other).includes(image('A stray chart', 'sweep/loose.svg')));
  t.true(md.slice(other).includes('`results/sweep/loose.svg`'));
  t.is(renderBenchmarksMarkdown(dir), md, 'deterministic');

  // Written inside the results directory, image links are relative to it.
  const inside = join(dir, 'BENCHMARKS.md');
  writeBenchmarksMarkdown(dir, inside);
  const insideMd = readFileSync(inside, 'utf8');
  t.true(insideMd.includes('![SM MADs against hosts](sweep/sm-mads-vs-hosts.svg)'));
  t.is(insideMd, renderBenchmarksMarkdown(dir, inside));
});

test('isBenchResult checks the optional plots list: relative .svg paths that stay in the directory', (t) => {
  const ok = { ...result('a'), plots: [{ file: 'x.svg', title: 'X' }, { file: 'sub/y.svg', title: 'Y', spec: { mark: 'bar' } }] };
  t.true(isBenchResult(ok));
  t.true(isBenchResult(result('a')), 'plots is optional');
  for (const file of ['../x.svg', '/tmp/x.svg', 'a/../../x.svg', 'x.png', 'C:\\x.svg', 'a//x.svg']) {
    t.false(isBenchResult({ ...result('a'), plots: [{ file, title: 'X' }] }), file);
  }
  t.false(isBenchResult({ ...result('a'), plots: [{ file: 'x.svg' }] }), 'title required');
  t.false(isBenchResult({ ...result('a'), plots: [{ file: 'x.svg', title: 'X', spec: [] }] }), 'spec is an object');
  t.false(isBenchResult({ ...result('a'), plots: 'x.svg' }));
});

test('node dist/bench/report.js draws the charts, then writes BENCHMARKS.md with them', async (t) => {
  const dir = tempResults(t);
  await fixture(dir);
  const script = fileURLToPath(new URL('../bench/report.js', import.meta.url));
  const out = join(dir, 'out', 'BENCHMARKS.md');
  mkdirSync(join(dir, 'out'));
  const run = spawnSync(process.execPath, [script, '--results-dir', dir, '--out', out], { encoding: 'utf8' });
  t.is(run.status, 0, run.stderr);
  t.is(run.stderr, `report: wrote ${out} from 3 result files and 2 charts\n`);
  t.true(existsSync(join(dir, 'micro', 'tables-throughput.svg')));
  const md = readFileSync(out, 'utf8');
  t.true(md.includes('![Suite tables](../micro/tables-throughput.svg)'));
  t.is(md, renderBenchmarksMarkdown(dir, out));
});

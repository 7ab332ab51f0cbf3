// Issue 7, item 4: the fuzzer. A short seeded run over every target must find nothing (no
// crash, no silent loss, no wrong status, no unanswered SA request, no round-trip change), keep
// the heap flat, and be reproducible; the watchdog must catch an input that never returns.
import test from 'ava';
import { runFuzz, runFuzzWatched, fuzzSummary } from '../core/fuzz/run-fuzz.js';
import { FUZZ_TARGETS } from '../core/fuzz/targets.js';
import { MadMutator } from '../core/fuzz/mutator.js';
import { goldenMads, engineMads } from '../core/fuzz/corpus.js';
import { runCli } from '../core/cli/cli.js';
import { EmulatedSubnet } from '../core/engine/single-thread-run.js';
import { MadView } from '../core/mad/mad-view.js';
import { GSI_QP, MadStatus, Method, SaAttr } from '../core/mad/constants.js';
import { handScenario } from './patent-fixtures.js';

test('20,000 inputs per target: nothing crashes, nothing is lost silently, every status is the codec\'s', (t) => {
  const r = runFuzz({ count: 20_000, seed: 1 });
  t.is(r.violations, 0, fuzzSummary(r) + '\n' + JSON.stringify(r.targets.flatMap((x) => x.samples).slice(0, 3)));
  t.deepEqual(
    r.targets.map((x) => x.target),
    [...FUZZ_TARGETS],
  );
  t.true(r.corpus.golden >= 6 && r.corpus.engine >= 8, 'golden and engine MADs in the corpus');
  for (const x of r.targets) {
    const f = x.fates;
    t.is(f.accepted + f.answered + f.dropped, 20_000, `${x.target}: every input has a normal fate`);
    t.true(f.accepted > 0 && f.dropped > 0, `${x.target}: inputs reach the handler and are refused too`);
    t.true(x.heapGrowthBytes < 32 * 2 ** 20, `${x.target}: heap grew ${x.heapGrowthBytes} bytes`);
  }
  const sa = r.targets.find((x) => x.target === 'sa')!;
  t.true(sa.fates.answered > 1000, 'the SA answers bad requests with an error status');
});

test('same seed, same fates; another seed, other inputs', (t) => {
  const fates = (seed: number) => runFuzz({ count: 2000, seed }).targets.map((x) => x.fates);
  const a = fates(5);
  t.deepEqual(fates(5), a);
  t.notDeepEqual(fates(6), a);
});

test('the watched run (worker) gives the in-process fates; the watchdog stops an input that never returns', async (t) => {
  const o = { count: 1500, seed: 9, targets: ['sa', 'vm'] as const };
  const watched = await runFuzzWatched(o);
  t.deepEqual(
    watched.targets.map((x) => x.fates),
    runFuzz(o).targets.map((x) => x.fates),
  );
  const hung = await runFuzzWatched({ count: 1000, seed: 9, targets: ['dom0'], stallAt: 700 }, { hangMs: 1000 });
  t.deepEqual(hung.hang && { target: hung.hang.target, index: hung.hang.index }, { target: 'dom0', index: 700 });
  t.is(hung.violations, 1);
  t.regex(fuzzSummary(hung), /HANG in dom0 at input 700/);
});

test('repath fuzz: one-line summary, JSON with --json, exit 2 on a bad target', async (t) => {
  let out = '';
  let err = '';
  const io = { stdout: (s: string) => (out += s), stderr: (s: string) => (err += s), readStdin: async () => new Uint8Array(0) };
  t.is(await runCli(['fuzz', '--count', '300', '--seed', '4', '--in-process'], io), 0);
  t.regex(out, /^fuzz seed 4: 300 inputs per target .*violations 0\n$/);
  out = '';
  t.is(await runCli(['fuzz', '--count', '300', '--target', 'decoder', '--json', '--in-process'], io), 0);
  const j = JSON.parse(out) as { targets: { target: string; inputs: number }[] };
  t.deepEqual(j.targets.map((x) => [x.target, x.inputs]), [['decoder', 300]]);
  t.is(await runCli(['fuzz', '--target', 'smp'], io), 2);
  t.regex(err, /--target: "smp" is not one of decoder, sa, dom0, vm, all/);
});

test('the mutator is seeded; only the decoder gets lengths other than 256', (t) => {
  const corpus = [...goldenMads(), ...engineMads(1)];
  const run = (vary: boolean) => {
    const m = new MadMutator(3, 1, { corpus, varyLength: vary });
    const lens: number[] = [];
    const hex: string[] = [];
    for (let i = 0; i < 400; i++) {
      lens.push(m.next());
      hex.push(Buffer.from(m.out.subarray(0, 32)).toString('hex'));
    }
    return { lens, hex };
  };
  t.deepEqual(run(true), run(true));
  t.true(run(true).lens.some((l) => l !== 256));
  t.true(run(false).lens.every((l) => l === 256));
  t.throws(() => new MadMutator(1, 1, { corpus: [] }), { message: /corpus: empty/ });
});

test('found by fuzzing: a PathRecord answer with a zero DGID for a VF no longer throws in Dom0 (per-pf-interest)', (t) => {
  const s = handScenario({ hosts: 3, vmsPerHost: 2 });
  const sub = new EmulatedSubnet(s, 'per-pf-interest');
  sub.setup('mads');
  const v = new MadView().wrapForWrite(new Uint8Array(256));
  v.initSa(Method.GetResp, SaAttr.PathRecord, 0x7e010000, 0);
  v.bytes[4] = MadStatus.Ok;
  const before = sub.counters.snapshot();
  t.notThrows(() => sub.dom0.receive(v.bytes, sub.lids.smLid, GSI_QP, 0, 0, sub.lids.hostLid[1]!, GSI_QP, s.vmGuidHigh[2]!, s.vmGuidLow[2]!, sub.nowNs));
  sub.run();
  const d = sub.counters.minus(before).toObject();
  t.is(d.dom0DemuxToVf, 1);
  t.is(d.vmDropped, 1, 'the VM agent drops an answer to no query of its own, counted');
});

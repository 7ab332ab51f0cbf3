// The libibumad addon against a real OpenSM on ibsim. The addon runs in child
// processes started under the umad2sim shim (test/support/umad-child.ts); the
// test process checks what they report against the diag tools' view of the
// same fabric. Skipped, with the reason in the title, when the addon is not
// built or ibsim/OpenSM are not installed.
import test from 'ava';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { listCas, nativeUnavailableReason, UmadPort, type UmadError, type UmadReceiveStats } from '../native/umad.js';
import { ibsimUnavailableReason, OpenSmFabric, SM_NODE } from './support/opensm-ibsim.js';
import { UmadChild } from './support/umad-client.js';

const nativeReason = nativeUnavailableReason();
const fabricReason = nativeReason ?? ibsimUnavailableReason();
const nativeTest = nativeReason === null ? test : test.skip;
const fabricTest = fabricReason === null ? test.serial : test.serial.skip;
const skipNote = (reason: string | null): string => (reason === null ? '' : ` (skipped: ${reason})`);

let fabric: OpenSmFabric | undefined;

test.before(async () => {
  if (fabricReason === null) fabric = await OpenSmFabric.start({ hcaCount: 5 });
});

test.after.always(async () => {
  await fabric?.stop();
});

function field(output: string, name: string): string {
  const match = new RegExp(`^${name}:\\.+(\\S+)`, 'm').exec(output);
  if (match === null) throw new Error(`no ${name} in smpquery output:\n${output}`);
  return match[1]!;
}

/** A host's own LID, SM LID and port GUID, from SMPs ibsim's SMA answers (smpquery over the local port). */
async function portFacts(f: OpenSmFabric, host: string): Promise<{ lid: number; smLid: number; portGuid: string }> {
  const node = await f.runTool(host, f.tools.smpquery, ['-D', 'nodeinfo', '0']);
  const port = await f.runTool(host, f.tools.smpquery, ['-D', 'portinfo', '0']);
  if (node.code !== 0 || port.code !== 0) throw new Error(`smpquery at ${host} failed: ${node.stderr}${port.stderr}`);
  return {
    lid: Number(field(port.stdout, 'Lid')),
    smLid: Number(field(port.stdout, 'SMLid')),
    portGuid: field(node.stdout, 'PortGuid'),
  };
}

function gidOf(portGuid: string): string {
  const digits = portGuid.replace(/^0x/, '').padStart(16, '0');
  const groups = digits.match(/.{4}/g)!;
  return `fe80:0000:0000:0000:${groups.join(':')}`;
}

nativeTest(`without an HCA, opening a port is a clear "no HCA" error from umad_get_ca_device_list${skipNote(nativeReason)}`, (t) => {
  // This process runs without the simulator shim, so it sees the machine's real devices.
  const cas = listCas();
  if (cas.length === 0) {
    const error = t.throws(() => UmadPort.open()) as UmadError;
    t.is(error.call, 'umad_get_ca_device_list');
    t.is(error.code, 'ENODEV');
    t.regex(error.message, /no HCA/);
  } else {
    const error = t.throws(() => UmadPort.open({ caName: 'repath-no-such-ca' })) as UmadError;
    t.is(error.code, 'ENODEV');
    t.regex(error.message, /no CA named "repath-no-such-ca"/);
  }
});

nativeTest(`argument errors name the field and the value${skipNote(nativeReason)}`, (t) => {
  const error = t.throws(() => UmadPort.open({ portNum: 99 })) as UmadError;
  t.regex(error.message, /portNum: 99 is not an integer in \[0, 9\]/);
  t.is(error.code, 'EINVAL');
  // Checked before any device is touched, so these need no HCA either.
  const long = t.throws(() => UmadPort.open({ receiveSpinUs: 200_000 })) as UmadError;
  t.regex(long.message, /receiveSpinUs: 200000 is not an integer in \[0, 100000\]/);
  t.is(long.code, 'EINVAL');
  const negative = t.throws(() => UmadPort.open({ receiveSpinUs: -1 })) as UmadError;
  t.regex(negative.message, /receiveSpinUs: -1 is not an integer/);
});

fabricTest(`a port opened at Hca1 reports the LID, SM LID and port GUID the SMA reports${skipNote(fabricReason)}`, async (t) => {
  const f = fabric!;
  const child = UmadChild.spawn(f, 'Hca1', 'info');
  const event = await child.next('info');
  const info = event.info as { caName: string; portNum: number; lid: number; smLid: number; portGuid: string; state: number };
  const facts = await portFacts(f, 'Hca1');
  const sm = await portFacts(f, SM_NODE);
  t.is(info.caName, 'ibsim0');
  t.is(info.portNum, 1);
  t.is(info.lid, facts.lid);
  t.is(info.smLid, facts.smLid);
  t.is(info.smLid, sm.lid);
  t.is(info.portGuid, facts.portGuid.toLowerCase());
  t.is(info.state, 4); // Active

  const edges = (await child.next('edges')) as unknown as Record<string, { ok: boolean; message?: string; code?: string; value?: unknown }>;
  t.regex(edges.shortMad!.message!, /umad_send: mad: length 100 is not 256/);
  t.regex(edges.badDlid!.message!, /umad_send: dlid: 65536 is not an integer in \[0, 65535\]/);
  t.regex(edges.unknownAgent!.message!, /agentId: \d+ is not registered on this port/);
  t.regex(edges.badMethod!.message!, /methods\[0\]: 200 is not a method in \[0, 127\]/);
  t.deepEqual([edges.unregisterFirst!.value, edges.unregisterAgain!.value], [true, false]);
  t.is(edges.sendAfterUnregister!.code, 'EINVAL');
  const closed = await child.next('closed');
  t.true(closed.closed);
  t.is((closed.infoAfterClose as { code: string }).code, 'EBADF');
  t.is(await child.exited, 0);
});

fabricTest(`opening a CA that does not exist names it and the CAs present${skipNote(fabricReason)}`, async (t) => {
  const child = UmadChild.spawn(fabric!, 'Hca2', 'open-error', { caName: 'mlx5_9' });
  const event = await child.next('error');
  t.is(event.code, 'ENODEV');
  t.is(event.call, 'umad_open_port');
  t.regex(String(event.message), /no CA named "mlx5_9" \(CAs present: ibsim0\)/);
  t.is(await child.exited, 0);
});

fabricTest(`an SA PathRecord Get to OpenSM comes back with the target's LID; a MAD to nobody comes back timed out${skipNote(fabricReason)}`, async (t) => {
  const f = fabric!;
  const [source, target] = await Promise.all([portFacts(f, 'Hca1'), portFacts(f, 'Hca3')]);
  const child = UmadChild.spawn(f, 'Hca1', 'path-record', { dgidGuid: target.portGuid });
  const reply = await child.next('path-record');
  t.is(reply.umadStatus, 0);
  t.is(reply.method, 0x81); // GetResp
  t.is(reply.status, 0);
  t.is(reply.attributeId, 0x0035);
  t.is(reply.tidLow, reply.sentTidLow);
  t.is(reply.fromLid, source.smLid);
  t.is(reply.fromQpn, 1);
  t.is(reply.dlid, target.lid);
  t.is(reply.slid, source.lid);
  t.is(reply.dgid, gidOf(target.portGuid));
  t.is(reply.sgid, gidOf(source.portGuid));
  const dead = await child.next('timeout');
  t.true(dead.timedOut);
  t.is(dead.umadStatus, 110); // ETIMEDOUT
  t.is(dead.tidLow, dead.sentTidLow);
  t.is(await child.exited, 0);
});

fabricTest(`on the IsSM path OpenSM's Reports of traps 65 and 64 arrive when a link drops and returns, and are answered${skipNote(fabricReason)}`, async (t) => {
  const f = fabric!;
  const victim = await portFacts(f, 'Hca4');
  const child = UmadChild.spawn(f, 'Hca2', 'reports', { traps: [64, 65] });
  const subscribed = await child.next('subscribed');
  const results = subscribed.results as Array<{ trap: number; umadStatus: number; method: number; status: number; subscribe: number }>;
  t.deepEqual(results.map((r) => [r.trap, r.umadStatus, r.method, r.status, r.subscribe]), [
    [64, 0, 0x81, 0, 1],
    [65, 0, 0x81, 0, 1],
  ]);
  t.regex(String(subscribed.issmPath), /issm\d+$/);

  let mark = child.events.length;
  f.unlink('Hca4');
  const gone = await child.next('report', 30_000, mark);
  t.is(gone.trap, 65);
  t.is(gone.isGeneric, 1);
  t.is(gone.gid, gidOf(victim.portGuid));

  mark = child.events.length;
  f.relink('Hca4');
  let back = await child.next('report', 30_000, mark);
  // OpenSM may repeat a 65 it had not yet seen answered before the 64 comes.
  while (back.trap !== 64) back = await child.next('report', 30_000, child.events.indexOf(back) + 1);
  t.is(back.gid, gidOf(victim.portGuid));

  mark = child.events.length;
  child.command('unsubscribe');
  const unsubscribed = await child.next('unsubscribed', 20_000, mark);
  const unsubResults = unsubscribed.results as Array<{ status: number; method: number }>;
  t.deepEqual(unsubResults.map((r) => [r.method, r.status]), [[0x81, 0], [0x81, 0]]);

  child.command('exit');
  const quirk = await child.next('quirk');
  t.is(quirk.unhandled, 0);
  await child.next('closed');
  t.is(await child.exited, 0);
});

/** What bench/umad-pathrecord-child.js prints: the benchmark's own loop, run here with a small count. */
interface PathRecordLoop {
  roundTrips: number;
  dlid: number;
  receive: UmadReceiveStats;
}

const LOOP_CHILD = fileURLToPath(new URL('../bench/umad-pathrecord-child.js', import.meta.url));

async function pathRecordLoop(f: OpenSmFabric, host: string, roundTrips: number, dguid: string, spinUs: number): Promise<PathRecordLoop> {
  const child = f.spawnClient(host, process.execPath, [LOOP_CHILD, String(roundTrips), '0', dguid, String(spinUs)]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`PathRecord loop (spin ${spinUs} us) exited ${code}: ${err}${out}`);
  return JSON.parse(out.trim().split('\n').pop()!) as PathRecordLoop;
}

fabricTest(`back-to-back PathRecord Gets get the same answers with the receive thread's spin on and off; its counters say how each response reached it${skipNote(fabricReason)}`, async (t) => {
  const f = fabric!;
  const target = await portFacts(f, 'Hca3');
  const count = 300;
  // Spin off: every response wakes the sleeping receive thread, and each is one hand-off to JavaScript.
  const asleep = await pathRecordLoop(f, 'Hca1', count, target.portGuid, 0);
  t.is(asleep.dlid, target.lid);
  t.deepEqual(asleep.receive, { receiveSpinUs: 0, received: count, caughtSpinning: 0, afterSleep: count, handoffs: count, spinBackoffs: 0 });

  // The widest window (100 ms): after the first response the thread stays up between round trips,
  // so responses are found by a running thread, unless it loses its core mid-spin (a busy machine)
  // and backs off to sleeping. One request in flight: still one hand-off per MAD.
  const spinning = await pathRecordLoop(f, 'Hca1', count, target.portGuid, 100_000);
  t.is(spinning.dlid, target.lid);
  const r = spinning.receive;
  t.is(r.receiveSpinUs, 100_000);
  t.is(r.received, count);
  t.is(r.caughtSpinning + r.afterSleep, count);
  t.true(r.caughtSpinning + r.spinBackoffs >= 1, `caughtSpinning ${r.caughtSpinning} of ${count}, spinBackoffs ${r.spinBackoffs}`);
  t.is(r.handoffs, count);
});

// A port's life ends in three ways besides close(): a handler closes it, the process exits with it
// open, or the worker thread that opened it is terminated. Each must end without a hang or an abort
// (Node waits for the addon's async handle to close before it tears the loop down).
const UMAD_URL = pathToFileURL(fileURLToPath(new URL('../native/umad.js', import.meta.url))).href;
// CommonJS (node -e, and an eval worker), loading the ESM wrapper with import().
const LIFE_SCRIPT = `
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const mode = isMainThread ? process.argv[1] : workerData;
const say = (line) => (isMainThread ? console.log(line) : parentPort.postMessage(line));
if (mode === 'worker') {
  const w = new Worker(process.execArgv[process.execArgv.indexOf('-e') + 1], { eval: true, workerData: 'in-worker' });
  w.on('message', (line) => { console.log(line); void w.terminate(); });
  w.on('exit', (code) => console.log('worker exit ' + code));
} else {
  import(${JSON.stringify(UMAD_URL)}).then(({ UmadPort }) => {
    const port = UmadPort.open();
    const own = port.info();
    const mad = new Uint8Array(256);
    // SA PathRecord Get (base version 1, class 3, version 2, method 1), TID low 9, attribute 0x35.
    mad.set([1, 3, 2, 1], 0); mad[15] = 9; mad[17] = 0x35;
    const agent = port.register({ mgmtClass: 3, classVersion: 2 }, (m) => {
      say('answer method ' + m.bytes[3] + ' tid ' + m.bytes[15]);
      if (mode === 'close-in-handler') { port.close(); say('closed, received ' + port.stats().received); }
      if (mode === 'exit-open') process.exit(7);
    });
    port.send(agent, mad, { dlid: own.smLid, timeoutMs: 1000, retries: 1 });
  });
}
`;

async function lifeChild(f: OpenSmFabric, mode: string): Promise<{ code: number | null; lines: string[] }> {
  const child = f.spawnClient('Hca2', process.execPath, ['-e', LIFE_SCRIPT, mode]);
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  if (err !== '') throw new Error(`life child (${mode}) wrote to stderr: ${err}`);
  return { code, lines: out.trim().split('\n') };
}

fabricTest(`a port closed by its handler, left open at process.exit, or open in a terminated worker ends cleanly${skipNote(fabricReason)}`, async (t) => {
  const f = fabric!;
  const answer = 'answer method 129 tid 9'; // GetResp to our TID
  t.deepEqual(await lifeChild(f, 'close-in-handler'), { code: 0, lines: [answer, 'closed, received 1'] });
  t.deepEqual(await lifeChild(f, 'exit-open'), { code: 7, lines: [answer] });
  t.deepEqual(await lifeChild(f, 'worker'), { code: 0, lines: [answer, 'worker exit 1'] });
});

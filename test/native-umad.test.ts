// The libibumad addon against a real OpenSM on ibsim. The addon runs in child
// processes started under the umad2sim shim (test/support/umad-child.ts); the
// test process checks what they report against the diag tools' view of the
// same fabric. Skipped, with the reason in the title, when the addon is not
// built or ibsim/OpenSM are not installed.
import test from 'ava';
import { listCas, nativeUnavailableReason, UmadPort, type UmadError } from '../native/umad.js';
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

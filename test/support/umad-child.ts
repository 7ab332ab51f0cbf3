// Runs the libibumad addon in a child process started under the umad2sim shim
// (LD_PRELOAD has to be set when a process starts, so addon code cannot run in
// the test process itself). Usage: node umad-child.js <scenario> '<json args>'.
// Prints one JSON object per line on stdout ({"event": ...}); reads JSON
// commands ({"cmd": ...}) one per line on stdin where a scenario takes them.
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  GSI_QKEY, INFORM_ALL_LIDS, INFORM_ANY_PRODUCER, INFORM_ANY_TYPE, MadView, MgmtClass, Method,
  NOTICE_SIZE, PathRecordMask, SA_DATA_OFFSET, SaAttr, ClassVersion, maskWithBit,
} from '../../core/mad/index.js';
import { enableIbsimUnsolicitedGsi } from '../../native/ibsim-quirks.js';
import { UmadPort, type ReceivedMad, type UmadError } from '../../native/umad.js';

type Json = Record<string, unknown>;

// Synchronous writes: a line must not be lost when the process exits right after.
function emit(event: string, fields: Json = {}): void {
  writeSync(1, `${JSON.stringify({ event, ...fields })}\n`);
}

function errorFields(error: unknown): Json {
  const e = error as Partial<UmadError>;
  return { message: e.message ?? String(error), code: e.code ?? null, call: e.call ?? null, errno: e.errno ?? null };
}

interface MadCopy {
  bytes: Uint8Array;
  status: number;
  length: number;
  slid: number;
  sqpn: number;
  timedOut: boolean;
}

/**
 * Resolves with the next MAD of class `mgmtClass` whose TID's low 32 bits are
 * `tidLow` (the high half is rewritten by the MAD layer: the kernel's or ibsim's
 * agent and client ids), or rejects after timeoutMs. Anything else is counted,
 * not taken: ibsim hands back undeliverable MADs (e.g. an SMP response) to an
 * agent picked from the TID, which need not be the one waiting here.
 */
class MadWaiter {
  stray = 0;
  private wanted: { mgmtClass: number; tidLow: number; resolve: (copy: MadCopy) => void } | undefined;

  readonly handler = (mad: ReceivedMad): void => {
    const b = mad.bytes;
    const tidLow = ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
    const wanted = this.wanted;
    if (wanted === undefined || b[1] !== wanted.mgmtClass || tidLow !== wanted.tidLow) {
      this.stray++;
      return;
    }
    this.wanted = undefined;
    wanted.resolve({ bytes: b.slice(), status: mad.status, length: mad.length, slid: mad.slid, sqpn: mad.sqpn, timedOut: mad.timedOut });
  };

  next(mgmtClass: number, tidLow: number, timeoutMs: number, what: string): Promise<MadCopy> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wanted = undefined;
        reject(new Error(`no MAD for ${what} (TID low 0x${tidLow.toString(16)}) within ${timeoutMs} ms`));
      }, timeoutMs);
      this.wanted = {
        mgmtClass, tidLow, resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
    });
  }
}

function openPort(args: Json): UmadPort {
  return UmadPort.open({
    ...(typeof args.caName === 'string' ? { caName: args.caName } : {}),
    ...(typeof args.portNum === 'number' ? { portNum: args.portNum } : {}),
  });
}

function guidHalves(hex: string): [number, number] {
  const digits = hex.replace(/^0x/, '').padStart(16, '0');
  return [Number.parseInt(digits.slice(0, 8), 16), Number.parseInt(digits.slice(8), 16)];
}

function attempt(action: () => unknown): Json {
  try {
    return { ok: true, value: action() as Json[string] };
  } catch (error) {
    return { ok: false, ...errorFields(error) };
  }
}

/** Port facts, then the API's edge cases: idempotent unregister/close, argument errors, use after close. */
async function info(args: Json): Promise<void> {
  const port = openPort(args);
  emit('info', { info: port.info() });
  const agent = port.register({ mgmtClass: MgmtClass.SubnAdm, classVersion: ClassVersion.SubnAdm });
  const mad = new Uint8Array(256);
  emit('edges', {
    shortMad: attempt(() => port.send(agent, mad.subarray(0, 100), { dlid: 1 })),
    badDlid: attempt(() => port.send(agent, mad, { dlid: 0x10000 })),
    unknownAgent: attempt(() => port.send(agent + 7, mad, { dlid: 1 })),
    badMethod: attempt(() => port.register({ mgmtClass: 0x09, classVersion: 1, methods: [200] })),
    unregisterFirst: attempt(() => port.unregister(agent)),
    unregisterAgain: attempt(() => port.unregister(agent)),
    sendAfterUnregister: attempt(() => port.send(agent, mad, { dlid: 1 })),
  });
  port.close();
  port.close(); // idempotent
  emit('closed', { closed: port.closed, infoAfterClose: attempt(() => port.info()) });
}

async function openError(args: Json): Promise<void> {
  try {
    const port = openPort(args);
    emit('opened', { info: port.info() });
    port.close();
  } catch (error) {
    emit('error', errorFields(error));
  }
}

/** SA PathRecord Get from this port to `dgid` (a port GUID), then one to an unroutable LID. */
async function pathRecord(args: Json): Promise<void> {
  const port = openPort(args);
  const own = port.info();
  const waiter = new MadWaiter();
  const agent = port.register({ mgmtClass: MgmtClass.SubnAdm, classVersion: ClassVersion.SubnAdm }, waiter.handler);
  const [dHigh, dLow] = guidHalves(String(args.dgidGuid));
  const mad = new MadView().wrapForWrite(new Uint8Array(256));
  const tidLow = 0x5a000001;
  mad.initSa(Method.Get, SaAttr.PathRecord, 0, tidLow);
  maskWithBit(mad, PathRecordMask.DGID);
  maskWithBit(mad, PathRecordMask.SGID);
  mad.pathRecord.dgid.set(0xfe800000, 0, dHigh, dLow);
  mad.pathRecord.sgid.set(0xfe800000, 0, own.portGuidHigh, own.portGuidLow);
  const reply = waiter.next(MgmtClass.SubnAdm, tidLow, 5000, 'PathRecord GetResp');
  port.send(agent, mad.bytes, { dlid: own.smLid, timeoutMs: 1000, retries: 2 });
  const answer = await reply;
  const view = new MadView().wrap(answer.bytes);
  emit('path-record', {
    umadStatus: answer.status,
    length: answer.length,
    fromLid: answer.slid,
    fromQpn: answer.sqpn,
    method: view.method,
    status: view.status,
    tidLow: view.tidLow,
    sentTidLow: tidLow,
    attributeId: view.attributeId,
    dlid: view.pathRecord.dlid,
    slid: view.pathRecord.slid,
    dgid: view.pathRecord.dgid.toString(),
    sgid: view.pathRecord.sgid.toString(),
  });

  // Nobody is at this LID: the MAD layer must hand the request back with a
  // timeout status (ibsim does so at once; a kernel after timeoutMs * retries).
  mad.tidLow = tidLow + 1;
  const bounced = waiter.next(MgmtClass.SubnAdm, tidLow + 1, 5000, 'timeout report');
  port.send(agent, mad.bytes, { dlid: Number(args.deadLid ?? 0xbffe), timeoutMs: 200, retries: 1 });
  const dead = await bounced;
  emit('timeout', { umadStatus: dead.status, timedOut: dead.timedOut, tidLow: new MadView().wrap(dead.bytes).tidLow, sentTidLow: tidLow + 1 });
  port.close();
  emit('closed', {});
}

/**
 * Subscribes to traps (InformInfo Set) on the IsSM path, answers every Report
 * with ReportResp and prints it; commands: {"cmd":"unsubscribe"}, {"cmd":"exit"}.
 */
async function reports(args: Json): Promise<void> {
  const traps = Array.isArray(args.traps) ? args.traps.map(Number) : [64, 65];
  const port = openPort(args);
  const own = port.info();
  const waiter = new MadWaiter();
  const reportView = new MadView();
  const response = new MadView().wrapForWrite(new Uint8Array(256));
  let reportsAnswered = 0;
  let agent = -1;
  const onSa = (m: ReceivedMad): void => {
    if ((m.bytes[3]! & 0x7f) === Method.Report && (m.bytes[3]! & 0x80) === 0 && m.status === 0) {
      reportView.wrap(m.bytes);
      const notice = reportView.notice;
      response.initResponseTo(reportView, Method.ReportResp, 0);
      // ReportResp echoes the Notice (IBA 13.4.9.4); OpenSM retires the Report on it.
      response.bytes.set(m.bytes.subarray(SA_DATA_OFFSET, SA_DATA_OFFSET + NOTICE_SIZE), SA_DATA_OFFSET);
      port.send(agent, response.bytes, { dlid: m.slid, dqpn: m.sqpn, qkey: GSI_QKEY });
      reportsAnswered++;
      emit('report', {
        trap: notice.trapNumber, isGeneric: notice.isGeneric, type: notice.type, producerType: notice.producerType,
        issuerLid: notice.issuerLid, gid: notice.gid.toString(), fromLid: m.slid, tidLow: reportView.tidLow,
        answered: reportsAnswered,
      });
      return;
    }
    waiter.handler(m);
  };
  agent = port.register({ mgmtClass: MgmtClass.SubnAdm, classVersion: ClassVersion.SubnAdm, methods: [Method.Report] }, onSa);
  const quirk = enableIbsimUnsolicitedGsi(port);

  const request = new MadView().wrapForWrite(new Uint8Array(256));
  let tid = 0x1f000000;
  const setInform = async (trap: number, subscribe: number): Promise<Json> => {
    request.initSa(Method.Set, SaAttr.InformInfo, 0, ++tid);
    const inform = request.informInfo;
    inform.lidRangeBegin = INFORM_ALL_LIDS;
    inform.lidRangeEnd = 0;
    inform.isGeneric = 1;
    inform.subscribe = subscribe;
    inform.type = INFORM_ANY_TYPE;
    inform.trapNumber = trap;
    inform.qpn = 1; // OpenSM refuses an unsubscribe that does not repeat QPN 1
    inform.respTimeValue = 18;
    inform.producerType = INFORM_ANY_PRODUCER;
    const pending = waiter.next(MgmtClass.SubnAdm, tid, 5000, `InformInfo Set trap ${trap}`);
    port.send(agent, request.bytes, { dlid: own.smLid, timeoutMs: 1000, retries: 2 });
    const reply = await pending;
    const view = new MadView().wrap(reply.bytes);
    return { trap, umadStatus: reply.status, method: view.method, status: view.status, subscribe: view.informInfo.subscribe };
  };

  const subscribed: Json[] = [];
  for (const trap of traps) subscribed.push(await setInform(trap, 1));
  emit('subscribed', { results: subscribed, issmPath: quirk.issmPath, smpAgents: quirk.smpAgents, lid: own.lid });

  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const command = JSON.parse(line) as { cmd: string };
    if (command.cmd === 'unsubscribe') {
      const results: Json[] = [];
      for (const trap of traps) results.push(await setInform(trap, 0));
      emit('unsubscribed', { results });
    } else if (command.cmd === 'exit') {
      break;
    } else {
      emit('error', { message: `unknown command ${JSON.stringify(command.cmd)}` });
    }
  }
  lines.close();
  emit('quirk', { smInfoAnswered: quirk.smInfoAnswered, otherSmps: quirk.otherSmps, unhandled: port.unhandled, stray: waiter.stray });
  port.close();
  emit('closed', {});
}

const scenarios: Record<string, (args: Json) => Promise<void>> = {
  info, 'open-error': openError, 'path-record': pathRecord, reports,
};

async function main(): Promise<void> {
  const [name, rawArgs] = process.argv.slice(2);
  const scenario = name === undefined ? undefined : scenarios[name];
  if (scenario === undefined) {
    emit('error', { message: `unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(scenarios).join(', ')}` });
    process.exitCode = 2;
    return;
  }
  try {
    await scenario(rawArgs === undefined ? {} : (JSON.parse(rawArgs) as Json));
  } catch (error) {
    emit('error', errorFields(error));
    // A port left open by the failed scenario would keep the process alive.
    process.exit(1);
  }
}

await main();

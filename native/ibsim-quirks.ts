// ibsim's umad2sim delivers unsolicited GSI MADs (a Report from the SM, a request
// to a service) only to clients it marks SM-capable. This module makes a port
// such a client. It is for tests and an explicit --ibsim flag only: on a real
// fabric opening IsSM would advertise an SM that is not there.
//
// The order matters on the simulator: agents for SMP classes 0x01 and 0x81 must
// exist before IsSM is set (umad2sim's receiver thread dereferences the agent of
// whatever class arrives, and crashes on the first SMP otherwise), and once the
// port is SM-capable OpenSM polls it with SMInfo Get, which is answered here
// with SMState NOTACTIVE so OpenSM stays master.
import type { ReceivedMad, UmadPort } from './umad.js';

const MAD_SIZE = 256;
const CLASS_SMP_LID = 0x01;
const CLASS_SMP_DIRECTED = 0x81;
const SMP_CLASS_VERSION = 1;
const METHOD_GET = 0x01;
const METHOD_SET = 0x02;
const METHOD_GET_RESP = 0x81;
const ATTR_SM_INFO = 0x0020;
const SMP_DATA_OFFSET = 64;
/** SMP data is 64 bytes; a directed-route SMP keeps its initial and return paths after it (128..255). */
const SMP_DATA_END = 128;
const PERMISSIVE_LID = 0xffff;
/** SMInfo SMState NOTACTIVE (IBA 14.2.5.13): priority 0, state 0. */
const SM_STATE_NOT_ACTIVE = 0;

export interface IbsimSmQuirk {
  /** Agent ids registered for the SMP classes (LID-routed, directed). */
  readonly smpAgents: readonly [number, number];
  /** The IsSM device path opened. */
  readonly issmPath: string;
  /** SMInfo Gets answered so far. */
  readonly smInfoAnswered: number;
  /** SMPs that were not SMInfo Get (ignored). */
  readonly otherSmps: number;
}

/**
 * Registers SMP agents that answer SMInfo Get with NOTACTIVE, then opens IsSM,
 * so the simulator forwards unsolicited GSI MADs to `port`. Call before the
 * agents that expect those MADs start waiting.
 */
export function enableIbsimUnsolicitedGsi(port: UmadPort): IbsimSmQuirk {
  const response = new Uint8Array(MAD_SIZE);
  const view = new DataView(response.buffer);
  const guid = port.info();
  const state = { smInfoAnswered: 0, otherSmps: 0 };
  const agents: number[] = [];

  const answer = (mad: ReceivedMad): void => {
    const bytes = mad.bytes;
    const method = bytes[3]! & 0x7f;
    const isResponse = (bytes[3]! & 0x80) !== 0;
    const attributeId = (bytes[16]! << 8) | bytes[17]!;
    if (isResponse || method !== METHOD_GET || attributeId !== ATTR_SM_INFO || mad.status !== 0) {
      state.otherSmps++;
      return;
    }
    const directed = bytes[1] === CLASS_SMP_DIRECTED;
    response.set(bytes);
    response[3] = METHOD_GET_RESP;
    if (directed) {
      // Directed route: D bit set on the way back; ibsim expects hop pointer 0.
      response[4] = 0x80;
      response[5] = 0;
      response[6] = 0;
    } else {
      response[4] = 0;
      response[5] = 0;
    }
    response.fill(0, SMP_DATA_OFFSET, SMP_DATA_END); // keep the return path ibsim routes the answer by
    view.setUint32(SMP_DATA_OFFSET, guid.portGuidHigh);
    view.setUint32(SMP_DATA_OFFSET + 4, guid.portGuidLow);
    response[SMP_DATA_OFFSET + 20] = SM_STATE_NOT_ACTIVE;
    port.send(mad.agentId, response, {
      dlid: directed ? PERMISSIVE_LID : mad.slid,
      dqpn: 0,
      qkey: 0,
    });
    state.smInfoAnswered++;
  };

  for (const mgmtClass of [CLASS_SMP_LID, CLASS_SMP_DIRECTED]) {
    agents.push(port.register(
      { mgmtClass, classVersion: SMP_CLASS_VERSION, methods: [METHOD_GET, METHOD_SET] },
      answer,
    ));
  }
  const issmPath = port.openIsSm();
  return {
    smpAgents: [agents[0]!, agents[1]!],
    issmPath,
    get smInfoAnswered() {
      return state.smInfoAnswered;
    },
    get otherSmps() {
      return state.otherSmps;
    },
  };
}

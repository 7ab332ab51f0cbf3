// What `repath service` and `repath dom0` share: open the umad port, (only with the explicit
// --ibsim flag) make it receive unsolicited GSI MADs on the simulator, build the real-time
// scheduler and the transport, trace MADs to a pcap, and read control lines from stdin.
import { createInterface } from 'node:readline';
import { withOverrides, defaultCostModel, type CostModel } from '../engine/cost-model.js';
import { MadTraceWriter } from '../trace/erf-pcap.js';
import { enableIbsimUnsolicitedGsi, type IbsimSmQuirk } from '../../native/ibsim-quirks.js';
import { UmadPort, nativeUnavailableReason } from '../../native/umad.js';
import { RealTimeScheduler, type EventHandler } from './real-time-scheduler.js';
import { UmadTransport } from './umad-transport.js';

/**
 * Real time: the SM/Dom0/VM service times of the virtual-time model are 0 (the work takes the
 * time it takes); timeouts and retries are real waits.
 */
export function nativeCostModel(overrides: Readonly<Record<string, unknown>> = {}): CostModel {
  return withOverrides(defaultCostModel(), {
    hopLatencyNs: 0,
    hcaMadNs: 0,
    smServiceNs: 0,
    saPathRecordServiceNs: 0,
    smScanPerSubscriptionNs: 0,
    dom0ForwardNs: 0,
    dom0ServiceNs: 0,
    vmServiceNs: 0,
    reportRespTimeoutNs: 500e6,
    reportMaxRetries: 3,
    clientRespTimeoutNs: 1000e6,
    clientMaxRetries: 3,
    ...overrides,
  });
}

export interface NativeProcessOptions {
  readonly caName?: string;
  readonly portNum?: number;
  /** The simulator's IsSM quirk and the GRH trailer: never on without the explicit flag. */
  readonly ibsim: boolean;
  readonly pcapPath?: string;
  /** Unsolicited SA methods this process serves. */
  readonly saMethods: readonly number[];
}

export class NativeProcess {
  readonly port: UmadPort;
  readonly scheduler: RealTimeScheduler;
  readonly transport: UmadTransport;
  readonly trace: MadTraceWriter | undefined;
  readonly quirk: IbsimSmQuirk | undefined;
  readonly pcapPath: string | undefined;
  private handler: EventHandler = () => undefined;
  private closed = false;

  constructor(o: NativeProcessOptions, onSendError: (e: Error) => void) {
    const reason = nativeUnavailableReason();
    if (reason !== null) throw new Error(`libibumad addon: ${reason}`);
    this.port = UmadPort.open({ ...(o.caName !== undefined ? { caName: o.caName } : {}), ...(o.portNum !== undefined ? { portNum: o.portNum } : {}) });
    this.quirk = o.ibsim ? enableIbsimUnsolicitedGsi(this.port) : undefined;
    this.scheduler = new RealTimeScheduler((k, a, b, c, n) => this.handler(k, a, b, c, n));
    this.pcapPath = o.pcapPath;
    const trace = o.pcapPath !== undefined ? new MadTraceWriter(256) : undefined;
    this.trace = trace;
    const info = this.port.info();
    this.transport = new UmadTransport({
      port: this.port,
      scheduler: this.scheduler,
      saMethods: o.saMethods,
      smLid: info.smLid,
      grhTrailer: o.ibsim,
      onSendError,
      ...(trace !== undefined
        ? { tap: (mad: Uint8Array, sl: number, sq: number, dl: number, dq: number, t: number) => trace.add(Math.round(t), sl, dl, sq, dq, mad) }
        : {}),
    });
  }

  /** Where scheduler events go (set once the service or agent exists). */
  onEvent(handler: EventHandler): void {
    this.handler = handler;
  }

  /** Writes the pcap so far (if --pcap); returns its MAD count. */
  flushTrace(): number {
    if (this.trace === undefined || this.pcapPath === undefined) return 0;
    this.trace.writeFile(this.pcapPath);
    return this.trace.count;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.scheduler.stop();
    this.flushTrace();
    this.port.close();
  }
}

/**
 * Runs a line-oriented control loop on stdin: each line is split into words and handed to
 * `command`, whose result is printed as one JSON line on stdout. Resolves when stdin ends or a
 * command returns `null` (quit), or on SIGTERM/SIGINT. SIGUSR2 runs `stats` at any time. With
 * readStdin false (a daemon, stdin /dev/null) only the signals count.
 */
export function controlLoop(
  stdout: (text: string) => void,
  command: (words: string[]) => Record<string, unknown> | null,
  readStdin = true,
): Promise<void> {
  return new Promise((resolve) => {
    const rl = readStdin ? createInterface({ input: process.stdin, terminal: false }) : undefined;
    let done = false;
    const onStats = (): void => {
      stdout(`${JSON.stringify(command(['stats']))}\n`);
    };
    const finish = (): void => {
      if (done) return;
      done = true;
      rl?.close();
      process.off('SIGTERM', finish);
      process.off('SIGINT', finish);
      process.off('SIGUSR2', onStats);
      resolve();
    };
    process.on('SIGTERM', finish);
    process.on('SIGINT', finish);
    process.on('SIGUSR2', onStats);
    if (rl === undefined) return;
    rl.on('line', (line) => {
      const words = line.trim().split(/\s+/).filter((w) => w !== '');
      if (words.length === 0) return;
      let result: Record<string, unknown> | null;
      try {
        result = command(words);
      } catch (e) {
        result = { ok: false, error: (e as Error).message };
      }
      if (result === null) {
        stdout(`${JSON.stringify({ ok: true, bye: true })}\n`);
        finish();
        return;
      }
      stdout(`${JSON.stringify(result)}\n`);
    });
    rl.on('close', finish);
  });
}

/** Parses a GUID written as 0x + up to 16 hex digits into its halves; throws naming the field. */
export function parseGuid(field: string, text: string | undefined): [number, number] {
  if (text === undefined || !/^0x[0-9a-fA-F]{1,16}$/.test(text)) throw new Error(`${field}: ${JSON.stringify(text)} is not a GUID (0x + 1..16 hex digits)`);
  const hex = text.slice(2).padStart(16, '0');
  const high = parseInt(hex.slice(0, 8), 16) >>> 0;
  const low = parseInt(hex.slice(8), 16) >>> 0;
  if ((high | low) === 0) throw new Error(`${field}: 0 is not a GUID`);
  return [high, low];
}

// The typed face of the libibumad addon (native/src): open a port, register
// agents, send 256-byte MADs and receive them without blocking the event loop.
// The addon is optional: loadUmad() returns null (with a reason) when it was not
// built, so callers and tests can skip cleanly.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** What libibumad reports about a port (umad_get_port), read once per call. */
export interface UmadPortInfo {
  caName: string;
  portNum: number;
  lid: number;
  lmc: number;
  smLid: number;
  smSl: number;
  /** PortInfo PortState: 1 Down, 2 Init, 3 Armed, 4 Active. */
  state: number;
  physState: number;
  rate: number;
  capabilityMask: number;
  /** "0x" + 16 hex digits. */
  portGuid: string;
  portGuidHigh: number;
  portGuidLow: number;
  gidPrefix: string;
  linkLayer: string;
}

/** The addon's raw port object (native/src/umad_port.cc). */
export interface RawUmadPort {
  info(): UmadPortInfo;
  register(mgmtClass: number, classVersion: number, methods: readonly number[], rmppVersion: number): number;
  unregister(agentId: number): boolean;
  openIsSm(): string;
  send(
    agentId: number, mad: Uint8Array, dlid: number, dqpn: number, qkey: number,
    sl: number, pkeyIndex: number, timeoutMs: number, retries: number,
  ): void;
  close(): void;
  stats(): UmadReceiveStats;
  ref(): void;
  unref(): void;
  /** The batch buffer received MADs are copied into; null once closed. */
  readonly batch: ArrayBuffer | null;
}

/** How received MADs reached the addon's receive thread and JavaScript (counters since open). */
export interface UmadReceiveStats {
  /** The spin window the port was opened with, in microseconds (0: the thread always sleeps). */
  receiveSpinUs: number;
  /** MADs the receive thread took from the port. */
  received: number;
  /** ...of which a spinning (not sleeping) receive thread found: no thread wake-up was needed to see them. */
  caughtSpinning: number;
  /** ...of which were found after umad_poll had slept and was woken. */
  afterSleep: number;
  /** Event-loop wake-ups the thread requested: one per batch of MADs handed to JavaScript. */
  handoffs: number;
  /**
   * Times the thread stopped spinning because it had lost its core mid-spin (another thread
   * wanted it): it then sleeps in umad_poll for 100 ms, where an arriving MAD wakes it at once,
   * instead of waiting, runnable, for the scheduler to come back to it.
   */
  spinBackoffs: number;
}

/** The addon module as loaded. */
export interface UmadBinding {
  UmadPort: new (
    caName: string | null, portNum: number, onBatch: (count: number) => void, batchSlots?: number,
    receiveSpinUs?: number,
  ) => RawUmadPort;
  /** CA names from umad_get_ca_device_list, sorted; [] when there is no HCA. */
  listCas(): string[];
  madSize: number;
  /** Bytes per received record in the batch buffer (256 MAD + 8 u32 fields). */
  recordSize: number;
  umadHeaderSize: number;
}

/** A libibumad failure as thrown by the addon. */
export interface UmadError extends Error {
  /** The libibumad (or libc) call that failed, with its arguments. */
  call: string;
  errno?: number;
  /** errno's name, e.g. "ENODEV". */
  code?: string;
  /** The call's return value when it returned one. */
  returned?: number;
}

const ADDON_FILE = 'repath_umad.node';
const RECORD_U32 = 72; // 288-byte record / 4
const FIELD_U32 = 64; // the u32 fields start after the 256 MAD bytes

let loaded: UmadBinding | null | undefined;
let unavailable: string | null = null;

function addonCandidates(): string[] {
  // Compiled, this module lives in dist/native/; the addon is built in native/build.
  return [
    fileURLToPath(new URL(`../../native/build/Release/${ADDON_FILE}`, import.meta.url)),
    fileURLToPath(new URL(`./build/Release/${ADDON_FILE}`, import.meta.url)),
  ];
}

/** Loads the addon once; null when it is not built or fails to load (see nativeUnavailableReason). */
export function loadUmad(): UmadBinding | null {
  if (loaded !== undefined) return loaded;
  const path = addonCandidates().find((candidate) => existsSync(candidate));
  if (path === undefined) {
    unavailable = 'native addon not built (native/build/Release/repath_umad.node is missing; '
      + '`npm install` builds it when libibumad-dev is installed)';
    loaded = null;
    return loaded;
  }
  try {
    loaded = createRequire(import.meta.url)(path) as UmadBinding;
  } catch (error) {
    unavailable = `native addon failed to load from ${path}: ${(error as Error).message}`;
    loaded = null;
  }
  return loaded;
}

/** Why the addon cannot be used, or null when it can; tests skip with this text. */
export function nativeUnavailableReason(): string | null {
  loadUmad();
  return unavailable;
}

function requireUmad(): UmadBinding {
  const binding = loadUmad();
  if (binding === null) throw new Error(`libibumad addon: ${unavailable ?? 'unavailable'}`);
  return binding;
}

/** CA names libibumad sees (umad_get_ca_device_list); [] means no HCA. */
export function listCas(): string[] {
  return requireUmad().listCas();
}

/**
 * One received MAD. The object and its `bytes` are reused for the next MAD:
 * read or copy what you need inside the handler.
 */
export class ReceivedMad {
  /** The 256 MAD bytes, zero-padded past `length`. */
  bytes: Uint8Array = new Uint8Array(0);
  /** 0, or an errno from the MAD layer: ETIMEDOUT when a sent MAD got no response. */
  status = 0;
  agentId = 0;
  /** How many bytes the transport delivered before padding (ibsim can deliver fewer than 256). */
  length = 0;
  slid = 0;
  sqpn = 0;
  sl = 0;
  pkeyIndex = 0;

  /** A MAD we sent that was answered by nobody (kernel timeout, or ibsim dropping it). */
  get timedOut(): boolean {
    return this.status === os.constants.errno.ETIMEDOUT;
  }
}

export type MadHandler = (mad: ReceivedMad) => void;

export interface UmadOpenOptions {
  /** CA name; default: the first CA umad_get_ca_device_list reports. */
  caName?: string;
  /** Port number; 0 (default) lets libibumad pick the first active port. */
  portNum?: number;
  /** Received MADs handed to JavaScript per call (default 64). */
  batchSlots?: number;
  /**
   * How long (µs) the receive thread keeps polling without sleeping after the last MAD it received
   * or the last request sent (default DEFAULT_RECEIVE_SPIN_US; 0: always sleep in umad_poll).
   * In an exchange the answer then finds the thread running, and the hand-off to JavaScript costs
   * one thread wake-up (the event loop's) instead of two. The cost is one core busy for at most
   * this long after traffic stops; the thread yields to any other runnable thread, and when it
   * finds it lost its core mid-spin it stops spinning for 100 ms (stats().spinBackoffs).
   */
  receiveSpinUs?: number;
}

/**
 * The default spin window: longer than an SA round trip to OpenSM through ibsim (p99 about
 * 150-250 µs on a 2-core machine) so that a back-to-back exchange never lets the thread sleep,
 * short enough that an idle port stops using the core within a fraction of a millisecond.
 */
export const DEFAULT_RECEIVE_SPIN_US = 250;

export interface AgentSpec {
  mgmtClass: number;
  classVersion: number;
  /** Unsolicited request methods this agent receives (e.g. 0x06 Report); responses to its own sends arrive regardless. */
  methods?: readonly number[];
  /** Must be 0 (the default): this port handles single 256-byte MADs, no RMPP reassembly. */
  rmppVersion?: number;
}

/** Where and how to send; reuse one object per destination in hot loops. */
export interface SendAddress {
  dlid: number;
  /** Destination QP; default 1 (GSI). */
  dqpn?: number;
  /** Default 0x80010000 (the GSI Q_Key). */
  qkey?: number;
  sl?: number;
  pkeyIndex?: number;
  /** > 0 for requests that expect a response: the MAD layer reports ETIMEDOUT when none comes. */
  timeoutMs?: number;
  retries?: number;
}

const GSI_QKEY = 0x80010000;

/** An open umad port. Close it when done: an open port keeps the process alive (see unref). */
export class UmadPort {
  readonly caName: string;
  readonly portNum: number;
  /** MADs that arrived for an agent with no handler and no default handler. */
  unhandled = 0;

  private readonly raw: RawUmadPort;
  private readonly slots: Uint8Array[];
  private readonly fields: Uint32Array;
  private readonly received = new ReceivedMad();
  private readonly handlers: Array<MadHandler | undefined> = [];
  private defaultHandler: MadHandler | undefined;
  private isClosed = false;

  private constructor(binding: UmadBinding, options: UmadOpenOptions) {
    this.raw = new binding.UmadPort(
      options.caName ?? null, options.portNum ?? 0, (count) => this.deliver(count), options.batchSlots,
      options.receiveSpinUs ?? DEFAULT_RECEIVE_SPIN_US,
    );
    const batch = this.raw.batch;
    if (batch === null) throw new Error('libibumad addon: port opened without a batch buffer');
    const slotCount = batch.byteLength / binding.recordSize;
    this.slots = [];
    for (let i = 0; i < slotCount; i++) this.slots.push(new Uint8Array(batch, i * binding.recordSize, binding.madSize));
    this.fields = new Uint32Array(batch);
    const info = this.raw.info();
    this.caName = info.caName;
    this.portNum = info.portNum;
  }

  /** Opens a port; throws a UmadError ("no HCA", "no CA named ...", or libibumad's errno text). */
  static open(options: UmadOpenOptions = {}): UmadPort {
    return new UmadPort(requireUmad(), options);
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** LID, SM LID, port GUID, state... as libibumad reads them now. */
  info(): UmadPortInfo {
    return this.raw.info();
  }

  /** Registers an agent; returns its id. `handler` gets this agent's MADs (else the onMad handler). */
  register(spec: AgentSpec, handler?: MadHandler): number {
    const agentId = this.raw.register(spec.mgmtClass, spec.classVersion, spec.methods ?? [], spec.rmppVersion ?? 0);
    this.handlers[agentId] = handler;
    return agentId;
  }

  /** Unregisters an agent; false when it was not registered (idempotent). */
  unregister(agentId: number): boolean {
    this.handlers[agentId] = undefined;
    return this.raw.unregister(agentId);
  }

  /**
   * Opens the port's IsSM device (umad_get_issm_path), setting IsSM in its
   * capability mask. Needed only on ibsim, whose umad2sim delivers unsolicited
   * GSI MADs (Reports) only to SM-capable clients; see native/ibsim-quirks.ts.
   * Returns the device path. Idempotent.
   */
  openIsSm(): string {
    return this.raw.openIsSm();
  }

  /** Sends one 256-byte MAD. Synchronous: the MAD is handed to the kernel (or simulator) on return. */
  send(agentId: number, mad: Uint8Array, address: SendAddress): void {
    this.raw.send(
      agentId, mad, address.dlid, address.dqpn ?? 1, address.qkey ?? GSI_QKEY, address.sl ?? 0,
      address.pkeyIndex ?? 0, address.timeoutMs ?? 0, address.retries ?? 0,
    );
  }

  /** The handler for MADs whose agent was registered without one. */
  onMad(handler: MadHandler | undefined): void {
    this.defaultHandler = handler;
  }

  /** Stops the receive thread (joined), unregisters agents, drops IsSM and closes the fd. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.raw.close();
  }

  /** How received MADs reached the receive thread and JavaScript (counters since open; still readable after close). */
  stats(): UmadReceiveStats {
    return this.raw.stats();
  }

  /** Whether an open port keeps the process alive (default: it does). */
  ref(): void {
    this.raw.ref();
  }

  unref(): void {
    this.raw.unref();
  }

  private deliver(count: number): void {
    const fields = this.fields;
    const mad = this.received;
    for (let i = 0; i < count && !this.isClosed; i++) {
      const base = i * RECORD_U32 + FIELD_U32;
      mad.bytes = this.slots[i]!;
      mad.status = fields[base]!;
      mad.agentId = fields[base + 1]!;
      mad.length = fields[base + 2]!;
      mad.slid = fields[base + 3]!;
      mad.sqpn = fields[base + 4]!;
      mad.sl = fields[base + 5]!;
      mad.pkeyIndex = fields[base + 6]!;
      const handler = this.handlers[mad.agentId] ?? this.defaultHandler;
      if (handler === undefined) this.unhandled++;
      else handler(mad);
    }
  }
}

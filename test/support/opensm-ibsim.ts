// A real OpenSM on a simulated fabric, for tests and benchmarks: ibsim with a
// small fat tree written to a temp dir, under a unique IBSIM_SOCKNAME, its
// console on a FIFO kept open (for Unlink/ReLink), and OpenSM attached through
// the umad2sim shim. Every process started here is stopped by PID, and the temp
// dir removed, by stop() — and by a process 'exit' hook if a test forgets.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants as fsConstants, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

export const UMAD2SIM_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/umad2sim/libumad2sim.so',
  '/usr/lib/aarch64-linux-gnu/umad2sim/libumad2sim.so',
  '/usr/lib64/umad2sim/libumad2sim.so',
  '/usr/lib/umad2sim/libumad2sim.so',
];

/** ibsim's compile-time client limit (IBSIM_MAX_CLIENTS), OpenSM included. */
export const IBSIM_MAX_CLIENTS = 10;

export interface IbsimTools {
  ibsim: string;
  opensm: string;
  sminfo: string;
  saquery: string;
  smpquery: string;
  shim: string;
}

const TOOL_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/bin', '/sbin'];

function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d !== ''), ...TOOL_DIRS];
  return dirs.map((d) => join(d, name)).find((p) => existsSync(p));
}

/** Locates ibsim, opensm, the diags and the shim; a string says what is missing. */
export function findIbsimTools(): IbsimTools | string {
  const missing: string[] = [];
  const tool = (name: string, pkg: string): string => {
    const path = findTool(name);
    if (path === undefined) missing.push(`${name} (${pkg})`);
    return path ?? '';
  };
  const tools: IbsimTools = {
    ibsim: tool('ibsim', 'ibsim-utils'),
    opensm: tool('opensm', 'opensm'),
    sminfo: tool('sminfo', 'infiniband-diags'),
    saquery: tool('saquery', 'infiniband-diags'),
    smpquery: tool('smpquery', 'infiniband-diags'),
    shim: UMAD2SIM_CANDIDATES.find((p) => existsSync(p)) ?? '',
  };
  if (tools.shim === '') missing.push('libumad2sim.so (libumad2sim0)');
  return missing.length === 0 ? tools : `not installed: ${missing.join(', ')}`;
}

/** Why a fabric cannot be started here, or null when it can. */
export function ibsimUnavailableReason(): string | null {
  const tools = findIbsimTools();
  return typeof tools === 'string' ? tools : null;
}

export interface FabricOptions {
  /** HCAs besides the SM's, named Hca1..HcaN (default 5). */
  hcaCount?: number;
  /** OpenSM sweep interval in seconds (default 5). */
  sweepSeconds?: number;
  /** How long to wait for OpenSM to be MASTER and every HCA to see it (default 30 s). */
  readyTimeoutMs?: number;
  /** Keep the temp dir after stop() (for debugging). */
  keepDir?: boolean;
  /** Run ibsim with -v (each forwarded MAD is logged to ibsimLog; for debugging). */
  ibsimVerbose?: boolean;
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Node name of the HCA OpenSM runs on. */
export const SM_NODE = 'SmHca';

/**
 * The topology: a two-level fat tree (two leaf switches, two spines, every
 * leaf wired to every spine), the SM's HCA first on Leaf1, Hca1..HcaN spread
 * over the leaves. One port per HCA. ibnetdiscover text form, as ibsim reads it.
 */
export function fatTreeTopology(hcaCount: number): { text: string; hcas: string[]; switches: string[] } {
  if (!Number.isInteger(hcaCount) || hcaCount < 1 || hcaCount > 24) {
    throw new Error(`hcaCount: ${hcaCount} is not an integer in [1, 24]`);
  }
  const hcas = Array.from({ length: hcaCount }, (_, i) => `Hca${i + 1}`);
  const hosts = [SM_NODE, ...hcas];
  const leaves: string[][] = [[], []];
  hosts.forEach((host, i) => leaves[i % 2]!.push(host));
  const spines = ['Spine1', 'Spine2'];
  const leafPorts = Math.max(...leaves.map((l) => l.length)) + spines.length;
  const lines: string[] = [];
  const hostLink = new Map<string, [string, number]>();
  leaves.forEach((members, li) => {
    const leaf = `Leaf${li + 1}`;
    lines.push(`Switch\t${leafPorts} "${leaf}"`);
    members.forEach((host, hi) => {
      lines.push(`[${hi + 1}]\t"${host}"[1]`);
      hostLink.set(host, [leaf, hi + 1]);
    });
    spines.forEach((spine, si) => lines.push(`[${leafPorts - spines.length + si + 1}]\t"${spine}"[${li + 1}]`));
    lines.push('');
  });
  spines.forEach((spine, si) => {
    lines.push(`Switch\t${leaves.length} "${spine}"`);
    leaves.forEach((_, li) => lines.push(`[${li + 1}]\t"Leaf${li + 1}"[${leafPorts - spines.length + si + 1}]`));
    lines.push('');
  });
  for (const host of hosts) {
    const [leaf, port] = hostLink.get(host)!;
    lines.push(`Hca\t1 "${host}"`, `[1]\t"${leaf}"[${port}]`, '');
  }
  return { text: lines.join('\n'), hcas, switches: ['Leaf1', 'Leaf2', ...spines] };
}

const live = new Set<OpenSmFabric>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test process ends without stop(): never leave ibsim or
  // OpenSM running. Synchronous, as 'exit' handlers must be.
  process.on('exit', () => {
    for (const fabric of live) fabric.killNow();
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Races `promise` against a timer that is cleared either way (a pending timer would keep the process alive). */
async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => T | Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      Promise.resolve().then(onTimeout).then(resolve, reject);
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined || !isAlive(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timedOut = await withTimeout(exited.then(() => false), graceMs, () => true);
  if (timedOut && isAlive(child)) {
    child.kill('SIGKILL');
    await exited;
  }
}

export class OpenSmFabric {
  /** Temp dir holding the topology, FIFO, logs, OpenSM's tmp/cache and the shim's sysfs copies. */
  readonly dir: string;
  readonly sockName: string;
  readonly topologyPath: string;
  readonly fifoPath: string;
  readonly opensmLogPath: string;
  readonly hcas: readonly string[];
  readonly switches: readonly string[];
  readonly tools: IbsimTools;

  private ibsim: ChildProcess | undefined;
  private opensm: ChildProcess | undefined;
  private fifoReadFd = -1;
  private fifoWriteFd = -1;
  private ibsimOutput = '';
  private readonly children = new Set<ChildProcess>();
  private stopped = false;
  private readonly keepDir: boolean;

  private constructor(tools: IbsimTools, options: FabricOptions) {
    this.tools = tools;
    this.keepDir = options.keepDir ?? false;
    this.dir = mkdtempSync(join(os.tmpdir(), 'repath-ibsim-'));
    this.sockName = `repath-${process.pid}-${this.dir.slice(-6)}`;
    const topology = fatTreeTopology(options.hcaCount ?? 5);
    this.hcas = topology.hcas;
    this.switches = topology.switches;
    this.topologyPath = join(this.dir, 'fabric.net');
    writeFileSync(this.topologyPath, topology.text);
    this.fifoPath = join(this.dir, 'ibsim.console');
    this.opensmLogPath = join(this.dir, 'opensm.log');
  }

  /** Starts ibsim and OpenSM and resolves once OpenSM is MASTER and every HCA sees its SM LID. */
  static async start(options: FabricOptions = {}): Promise<OpenSmFabric> {
    const tools = findIbsimTools();
    if (typeof tools === 'string') throw new Error(`cannot start ibsim/OpenSM: ${tools}`);
    const fabric = new OpenSmFabric(tools, options);
    live.add(fabric);
    installExitHook();
    try {
      await fabric.startIbsim(options.ibsimVerbose ?? false);
      fabric.startOpenSm(options.sweepSeconds ?? 5);
      await fabric.waitUntilMaster(options.readyTimeoutMs ?? 30_000);
    } catch (error) {
      await fabric.stop();
      throw error;
    }
    return fabric;
  }

  /** PIDs of every process this fabric started and has not yet seen exit. */
  get pids(): number[] {
    return [this.ibsim, this.opensm, ...this.children]
      .filter((c): c is ChildProcess => c !== undefined && c.pid !== undefined && isAlive(c))
      .map((c) => c.pid!);
  }

  /** Environment for a libibumad client attached at `hostNode` (LD_PRELOAD must be set at process start). */
  clientEnv(hostNode: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    return {
      ...base,
      IBSIM_SOCKNAME: this.sockName,
      SIM_HOST: hostNode,
      LD_PRELOAD: this.tools.shim,
    };
  }

  /** Working directory for clients: the shim writes its sysfs copy to ./sys-<pid>. */
  get clientCwd(): string {
    return this.dir;
  }

  /** Writes one ibsim console command (e.g. `Unlink "Hca3"[1]`). */
  console(command: string): void {
    if (this.fifoWriteFd < 0) throw new Error(`ibsim console: fabric in ${this.dir} is not running`);
    writeSync(this.fifoWriteFd, `${command}\n`);
  }

  unlink(node: string, port = 1): void {
    this.console(`Unlink "${node}"[${port}]`);
  }

  relink(node: string, port = 1): void {
    this.console(`ReLink "${node}"[${port}]`);
  }

  /** What ibsim printed so far (console replies, warnings). */
  get ibsimLog(): string {
    return this.ibsimOutput;
  }

  /** OpenSM's version as its log states it (e.g. "3.3.23"). */
  get opensmVersion(): string {
    return /OpenSM (\d[\w.-]*)/.exec(this.opensmLog)?.[1] ?? 'unknown';
  }

  get opensmLog(): string {
    return existsSync(this.opensmLogPath) ? readFileSync(this.opensmLogPath, 'utf8') : '';
  }

  /**
   * ibsim refuses the eleventh client (OpenSM is one), and a refused client
   * exits with an obscure panic; say so plainly instead.
   */
  private checkClientSlot(hostNode: string): void {
    if (this.stopped) throw new Error(`fabric in ${this.dir} is stopped`);
    const clients = 1 + [...this.children].filter(isAlive).length;
    if (clients >= IBSIM_MAX_CLIENTS) {
      throw new Error(`cannot attach another client at ${hostNode}: ibsim allows ${IBSIM_MAX_CLIENTS} (IBSIM_MAX_CLIENTS) and ${clients} are attached, OpenSM included`);
    }
  }

  /** Runs a diag tool (saquery, smpquery, sminfo, ...) as a client at `hostNode`. */
  runTool(hostNode: string, tool: string, args: readonly string[], timeoutMs = 15_000): Promise<ToolResult> {
    this.checkClientSlot(hostNode);
    return new Promise((resolve) => {
      const child = execFile(tool, args, {
        env: this.clientEnv(hostNode), cwd: this.dir, timeout: timeoutMs, killSignal: 'SIGKILL',
      }, (error, stdout, stderr) => {
        this.children.delete(child);
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      });
      this.children.add(child);
    });
  }

  /** Spawns a process under the shim at `hostNode`; it is tracked and killed by stop(). */
  spawnClient(hostNode: string, command: string, args: readonly string[]): ChildProcess {
    this.checkClientSlot(hostNode);
    const child = spawn(command, args, {
      env: this.clientEnv(hostNode), cwd: this.dir, stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Stops every process started here (clients, OpenSM, ibsim) by PID and removes the temp dir. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all([...this.children].map((c) => stopChild(c, 2000)));
    if (this.opensm !== undefined) await stopChild(this.opensm, 3000);
    if (this.ibsim !== undefined) await stopChild(this.ibsim, 3000);
    this.closeFifo();
    live.delete(this);
    if (!this.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous SIGKILL of everything, for the process 'exit' hook. */
  killNow(): void {
    for (const child of [...this.children, this.opensm, this.ibsim]) {
      if (child !== undefined && isAlive(child)) child.kill('SIGKILL');
    }
    this.closeFifo();
    if (!this.keepDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private closeFifo(): void {
    for (const fd of [this.fifoWriteFd, this.fifoReadFd]) if (fd >= 0) closeSync(fd);
    this.fifoWriteFd = this.fifoReadFd = -1;
  }

  private async startIbsim(verbose: boolean): Promise<void> {
    const made = spawnSync('mkfifo', [this.fifoPath]);
    if (made.status !== 0) throw new Error(`mkfifo ${this.fifoPath}: ${String(made.stderr)}`);
    // O_RDWR on a FIFO never blocks and never sees EOF: ibsim's console stays
    // open for as long as we hold the write end, and any process may write to it.
    this.fifoReadFd = openSync(this.fifoPath, fsConstants.O_RDWR);
    this.fifoWriteFd = openSync(this.fifoPath, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK);
    const ibsim = spawn(this.tools.ibsim, [...(verbose ? ['-v'] : []), '-s', this.topologyPath], {
      cwd: this.dir,
      env: { ...process.env, IBSIM_SOCKNAME: this.sockName },
      stdio: [this.fifoReadFd, 'pipe', 'pipe'],
    });
    this.ibsim = ibsim;
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        this.ibsimOutput += chunk.toString();
        if (this.ibsimOutput.includes('Network simulator ready')) resolve();
      };
      ibsim.stdout!.on('data', onData);
      ibsim.stderr!.on('data', onData);
      ibsim.once('exit', (code, signal) => reject(new Error(
        `ibsim exited (code ${code}, signal ${signal}) before it was ready:\n${this.ibsimOutput}`,
      )));
      ibsim.once('error', reject);
    });
    await withTimeout(ready, 15_000, () => {
      throw new Error(`ibsim not ready after 15 s:\n${this.ibsimOutput}`);
    });
  }

  private startOpenSm(sweepSeconds: number): void {
    const tmp = join(this.dir, 'osm-tmp');
    const cache = join(this.dir, 'osm-cache');
    for (const d of [tmp, cache]) spawnSync('mkdir', ['-p', d]);
    const opensm = spawn(this.tools.opensm, ['-s', String(sweepSeconds), '-f', this.opensmLogPath], {
      cwd: this.dir,
      env: { ...this.clientEnv(SM_NODE), OSM_TMP_DIR: tmp, OSM_CACHE_DIR: cache },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    this.opensm = opensm;
  }

  private async waitUntilMaster(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Each HCA's PortInfo must carry the SM LID (sminfo reads it from there),
    // which also means OpenSM has assigned LIDs and brought ports Active.
    const pending = new Set([SM_NODE, ...this.hcas]);
    let last = '';
    while (pending.size > 0) {
      if (this.opensm !== undefined && !isAlive(this.opensm)) {
        throw new Error(`opensm exited (code ${this.opensm.exitCode}):\n${this.opensmLog}`);
      }
      for (const host of [...pending]) {
        const result = await this.runTool(host, this.tools.sminfo, [], 5000);
        last = `${host}: ${result.stdout}${result.stderr}`;
        if (result.code === 0 && result.stdout.includes('SMINFO_MASTER')) pending.delete(host);
        else break;
      }
      if (pending.size === 0) break;
      if (Date.now() > deadline) {
        throw new Error(`OpenSM not MASTER for ${[...pending].join(', ')} after ${timeoutMs} ms; last sminfo: ${last}\n${this.opensmLog}`);
      }
      await delay(250);
    }
  }
}

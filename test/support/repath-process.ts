// `repath service` / `repath dom0` started as ibsim clients by a test: one JSON line answered per
// control line on stdin (see core/cli/dom0-command.ts). Started through OpenSmFabric.spawnClient,
// so every process is tracked and stopped by PID with the fabric.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { OpenSmFabric } from './opensm-ibsim.js';

export type Reply = Record<string, unknown>;

const CLI = fileURLToPath(new URL('../../core/cli/main.js', import.meta.url));

export class RepathProcess {
  readonly child: ChildProcess;
  readonly host: string;
  /** Everything the process wrote on stderr (its JSON log, errors). */
  stderr = '';
  private readonly lines: Reply[] = [];
  private readonly waiters: Array<{ resolve: (r: Reply) => void; reject: (e: Error) => void }> = [];
  private exited: string | undefined;

  private constructor(fabric: OpenSmFabric, host: string, args: readonly string[]) {
    this.host = host;
    this.child = fabric.spawnClient(host, process.execPath, [CLI, ...args]);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        reply = { ok: false, error: `not JSON: ${line}` };
      }
      const w = this.waiters.shift();
      if (w !== undefined) w.resolve(reply);
      else this.lines.push(reply);
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.child.once('exit', (code, signal) => {
      this.exited = `repath ${args[0]} at ${host} exited (code ${code}, signal ${signal}): ${this.stderr}`;
      for (const w of this.waiters.splice(0)) w.reject(new Error(this.exited));
    });
  }

  /** Starts the process and waits for its ready line. */
  static async start(fabric: OpenSmFabric, host: string, args: readonly string[]): Promise<{ proc: RepathProcess; ready: Reply }> {
    const proc = new RepathProcess(fabric, host, args);
    const ready = await proc.next(20_000);
    if (ready.ready !== true) throw new Error(`repath ${args[0]} at ${host}: not ready: ${JSON.stringify(ready)} ${proc.stderr}`);
    return { proc, ready };
  }

  next(timeoutMs = 10_000): Promise<Reply> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exited !== undefined) return Promise.reject(new Error(this.exited));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply from ${this.host} within ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.waiters.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Sends one control line; resolves with its reply (rejects when the reply says ok: false). */
  async command(line: string): Promise<Reply> {
    this.child.stdin!.write(`${line}\n`);
    const reply = await this.next();
    if (reply.ok !== true) throw new Error(`${this.host}: ${line}: ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Asks the process to quit and waits for it to exit. */
  async quit(): Promise<number | null> {
    // A process killed by a signal has exitCode null and signalCode set: it has exited too.
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.stdin!.end('quit\n');
    return exited;
  }
}

/** Polls `probe` until it returns a value (not undefined), every `everyMs`, up to `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 150): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last !== undefined ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

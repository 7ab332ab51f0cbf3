// Parent side of test/support/umad-child.ts: spawns it under the shim at one
// fabric node and turns its JSON lines into awaitable events.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { OpenSmFabric } from './opensm-ibsim.js';

export type ChildEvent = { event: string } & Record<string, unknown>;

const CHILD_SCRIPT = fileURLToPath(new URL('./umad-child.js', import.meta.url));

export class UmadChild {
  /** Every event the child printed, in order. */
  readonly events: ChildEvent[] = [];
  readonly process: ChildProcess;
  /** Resolves with the exit code once the child has exited. */
  readonly exited: Promise<number | null>;
  private stderrText = '';
  private isClosed = false;
  private readonly waiters: Array<{ event: string; from: number; resolve: (e: ChildEvent) => void }> = [];

  private constructor(child: ChildProcess) {
    this.process = child;
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString();
    });
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let parsed: ChildEvent;
      try {
        parsed = JSON.parse(line) as ChildEvent;
      } catch {
        parsed = { event: 'unparsed', line };
      }
      this.events.push(parsed);
      this.wake();
    });
    // 'close' (not 'exit'): every line of stdout has been read by then.
    this.exited = new Promise((resolve) => child.once('close', (code) => {
      this.isClosed = true;
      resolve(code);
      this.wake();
    }));
  }

  /** Starts `node umad-child.js <scenario> <args>` at `hostNode` under the fabric's shim. */
  static spawn(fabric: OpenSmFabric, hostNode: string, scenario: string, args: Record<string, unknown> = {}): UmadChild {
    const child = fabric.spawnClient(hostNode, process.execPath, [CHILD_SCRIPT, scenario, JSON.stringify(args)]);
    return new UmadChild(child);
  }

  get stderr(): string {
    return this.stderrText;
  }

  /**
   * The first event named `event` printed after the `from`-th event (default:
   * any); rejects on timeout, on an "error" event, or when the child exits first.
   */
  next(event: string, timeoutMs = 20_000, from = 0): Promise<ChildEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`umad child: no "${event}" within ${timeoutMs} ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderrText}`));
      }, timeoutMs);
      this.waiters.push({
        event, from, resolve: (e) => {
          clearTimeout(timer);
          if (e.event === 'error' && event !== 'error') reject(new Error(`umad child error: ${JSON.stringify(e)}; stderr: ${this.stderrText}`));
          else if (e.event === 'exit') reject(new Error(`umad child exited before "${event}"; events: ${JSON.stringify(this.events)}; stderr: ${this.stderrText}`));
          else resolve(e);
        },
      });
      this.wake();
    });
  }

  /** Writes one JSON command line to the child's stdin. */
  command(cmd: string, fields: Record<string, unknown> = {}): void {
    this.process.stdin!.write(`${JSON.stringify({ cmd, ...fields })}\n`);
  }

  private wake(): void {
    const exited = this.isClosed;
    for (let i = 0; i < this.waiters.length; i++) {
      const waiter = this.waiters[i]!;
      const found = this.events.slice(waiter.from).find((e) => e.event === waiter.event || e.event === 'error');
      if (found !== undefined || exited) {
        this.waiters.splice(i--, 1);
        waiter.resolve(found ?? { event: 'exit' });
      }
    }
  }
}

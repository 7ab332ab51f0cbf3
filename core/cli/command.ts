// What every `repath` subcommand module provides, and the process I/O it runs against.
// Commands take their I/O as a parameter so that tests and embedders can run them in-process.

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** All of standard input, read to the end. */
  readStdin(): Promise<Uint8Array>;
}

export interface Command {
  /** The word after `repath`, e.g. "mad". */
  name: string;
  /** One line for `repath --help`. */
  summary: string;
  /** The full `repath <name> --help` text. */
  help(): string;
  /** Runs with the words after the command name; resolves to the exit code. Throws UsageError for bad input. */
  run(argv: string[], io: CliIo): Promise<number>;
}

export const processIo: CliIo = {
  stdout: (text) => {
    process.stdout.write(text);
  },
  stderr: (text) => {
    process.stderr.write(text);
  },
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const all = Buffer.concat(chunks);
    return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  },
};

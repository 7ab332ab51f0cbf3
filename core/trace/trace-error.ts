// The one error type the trace writer and reader throw, so callers (the CLI) can turn it into a
// one-line message naming the field and the value without ever showing a stack trace.
export class TraceError extends Error {
  readonly field: string;
  readonly value: string;

  constructor(field: string, value: unknown, problem: string) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    super(`trace ${field}: ${shown} ${problem}`);
    this.name = 'TraceError';
    this.field = field;
    this.value = shown;
  }
}

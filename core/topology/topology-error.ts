// The error a topology builder or net-file parser throws: it names the field (or file:line)
// and the offending value, so the CLI can print one line instead of a stack trace.
export class TopologyError extends Error {
  readonly field: string;
  readonly value: string;

  constructor(field: string, value: unknown, problem: string) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    super(`${field}: ${shown} ${problem}`);
    this.name = 'TopologyError';
    this.field = field;
    this.value = shown;
  }
}

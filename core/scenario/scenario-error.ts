// The one error scenario generation, reading and validation throw. The message names the
// field by its path in the scenario (e.g. "scenario.vmsPerHost") and the offending value, so
// a bad file or flag stops with one readable line and never a TypeError from deeper code.
export class ScenarioError extends Error {
  readonly field: string;
  readonly value: string;

  constructor(field: string, value: unknown, problem: string) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? safeJson(value) : String(value);
    super(`${field}: ${shown} ${problem}`);
    this.name = 'ScenarioError';
    this.field = field;
    this.value = shown;
  }
}

function safeJson(value: object): string {
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

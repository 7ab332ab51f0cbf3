// The one error type the MAD codec throws. It names the offending field and its value, and carries
// the MAD status a responder should answer with, so an agent can turn a decode failure straight into
// an error response (or drop the datagram when status is MAD_DROP).
import { MAD_DROP } from './constants.js';

export class MadError extends Error {
  /** The MAD or JSON field at fault, e.g. "baseVersion", "attributeOffset", "notice.issuerGid". */
  readonly field: string;
  /** The offending value as text, e.g. "2" or "0x0099". */
  readonly value: string;
  /** MAD status to answer with (MadStatus.*), or MAD_DROP (-1) when the input cannot be answered. */
  readonly status: number;

  constructor(field: string, value: string, problem: string, status: number) {
    super(`MAD ${field}: ${value} ${problem}`);
    this.name = 'MadError';
    this.field = field;
    this.value = value;
    this.status = status;
  }

  /** True when the datagram must be dropped rather than answered. */
  get isDrop(): boolean {
    return this.status === MAD_DROP;
  }
}

/** Formats a 16-bit value as 0x%04x for error messages. */
export function hex16(v: number): string {
  return '0x' + (v & 0xffff).toString(16).padStart(4, '0');
}

/** Formats an 8-bit value as 0x%02x for error messages. */
export function hex8(v: number): string {
  return '0x' + (v & 0xff).toString(16).padStart(2, '0');
}

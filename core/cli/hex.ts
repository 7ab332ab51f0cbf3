// Hex text <-> bytes for the command line. Input is forgiving about layout (whitespace, newlines,
// a 0x before any group, as hexdump and tshark print it) and strict about everything else.
import { UsageError } from './args.js';

/** Parses hex text into bytes; `what` names the input in errors (e.g. "<hex>" or "stdin"). */
export function parseHex(text: string, what: string): Uint8Array {
  const groups = text.trim().split(/\s+/).filter((g) => g.length > 0);
  let digits = '';
  for (const group of groups) {
    digits += group.startsWith('0x') || group.startsWith('0X') ? group.slice(2) : group;
  }
  if (digits.length === 0) throw new UsageError(`${what}: no hex digits given`);
  const bad = /[^0-9a-fA-F]/.exec(digits);
  if (bad) {
    throw new UsageError(`${what}: ${JSON.stringify(bad[0])} at digit ${bad.index} is not a hex digit`);
  }
  if (digits.length % 2 !== 0) {
    throw new UsageError(`${what}: ${digits.length} hex digits is an odd number (2 per byte)`);
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Lowercase hex, two digits per byte, no separators. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (bytes[i]! < 16 ? '0' : '') + bytes[i]!.toString(16);
  return out;
}

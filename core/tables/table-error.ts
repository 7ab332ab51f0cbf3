// Errors and argument checks shared by the fabric state tables.
// Every message names the table, the field and the offending value, because these
// errors surface far from the call that caused them (a MAD handler, a worker thread).

/** Thrown when a fixed-capacity table (or a region of one) has no room for a new key. */
export class TableFullError extends Error {
  override readonly name = 'TableFullError';
  constructor(
    /** Which table, e.g. "LidVguidTable". */
    readonly table: string,
    /** The number of entries the table (or region) holds at most. */
    readonly capacity: number,
  ) {
    super(`${table} is full: capacity ${capacity} entries reached (construct it larger or growable)`);
  }
}

/** A GUID as the 16 hex digits IBA tools print, for messages only (cold path). */
export function guidHex(high: number, low: number): string {
  return '0x' + (high >>> 0).toString(16).padStart(8, '0') + (low >>> 0).toString(16).padStart(8, '0');
}

/** Rejects anything that is not an integer in [0, 2^32). */
export function checkU32(table: string, field: string, value: number): void {
  if (value !== value >>> 0) {
    throw new RangeError(`${table}: ${field} must be an unsigned 32-bit integer, got ${value}`);
  }
}

/**
 * Rejects anything that is not a 32-bit word: an integer in [0, 2^32) or the same bits as a
 * signed int32, [-2^31, 0). For GUID halves, which are bit patterns: a caller may keep them in
 * int32 form (an Int32Array, or x | 0), which V8 passes between functions as small integers,
 * where a u32 of 2^31 or more crossing a call that is not inlined is boxed as a heap number
 * (an allocation per argument).
 */
export function checkWord32(table: string, field: string, value: number): void {
  if (value !== value >>> 0 && value !== (value | 0)) {
    throw new RangeError(`${table}: ${field} must be a 32-bit word (an integer in 0..2^32-1, or its int32 bit pattern), got ${value}`);
  }
}

/** Rejects an integer outside [0, max]. */
export function checkRange(table: string, field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${table}: ${field} must be an integer in 0..${max}, got ${value}`);
  }
}

/**
 * Checks a GUID key given as two u32 halves. GUID 0 (both halves zero) is reserved as the
 * empty-slot marker in every table; IBA also treats a zero GUID as "unassigned" (OpenSM
 * generates a GUID when a GUIDInfo Set carries zero), so no real key is lost.
 */
export function checkGuid(table: string, field: string, high: number, low: number): void {
  checkU32(table, `${field} high half`, high);
  checkU32(table, `${field} low half`, low);
  if ((high | low) === 0) {
    throw new RangeError(`${table}: ${field} 0x0000000000000000 is reserved (zero GUID marks an empty slot)`);
  }
}

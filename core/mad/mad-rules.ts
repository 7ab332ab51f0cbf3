// What makes a MAD acceptable, as lookup tables built once: which management classes exist, the
// ClassVersion each requires, which methods each allows, which attributes SA and SM classes have,
// and how small a nonzero SA AttributeOffset may be. wrap() checks a datagram with a handful of
// table loads and no allocation; the throwing paths live in separate functions so the check stays small.
import {
  MAD_SIZE,
  MAD_DROP,
  MadStatus,
  MgmtClass,
  ClassVersion,
  Method,
  SaAttr,
  SaAttrSize,
  SmpAttr,
  SMP_VENDOR_ATTR_MIN,
  SA_DATA_SIZE,
  METHOD_RESPONSE_BIT,
} from './constants.js';
import { MadError, hex8, hex16 } from './mad-error.js';

/** Class kinds: which rule set applies. SaReport = SA with method Report/ReportResp (Notice only). */
export const ClassKind = { Unknown: 0, Smp: 1, Sa: 2, Gs: 3, Vendor: 4, SaReport: 5 } as const;
const KINDS = 6;

/** ClassKind per management class byte (SA reported as Sa). */
export const CLASS_KIND = new Uint8Array(256);
/** Required ClassVersion per management class; -1 when any version is accepted (vendor classes). */
export const CLASS_VERSION = new Int16Array(256);
/** VERSION_OK[class << 8 | classVersion] = 1 when the class exists and the version is right for it. */
const VERSION_OK = new Uint8Array(65536);
/** KIND_OF[class << 8 | methodByte]: the rule set for a valid class/method pair; 0 = invalid pair. */
const KIND_OF = new Uint8Array(65536);
/**
 * ATTR_RULE[kind << 16 | attributeId]: 0 = no such attribute for this kind; for the SA kinds the
 * smallest acceptable nonzero AttributeOffset (max(1, size >> 3)); ANY_ATTR where attributes are not
 * checked, and for every SMP attribute.
 */
const ATTR_RULE = new Uint8Array(KINDS << 16);
const ANY_ATTR = 255;

(function buildTables(): void {
  CLASS_VERSION.fill(-1);
  const known: Array<[number, number, number]> = [
    [MgmtClass.SubnLid, ClassKind.Smp, ClassVersion.SubnLid],
    [MgmtClass.SubnDirected, ClassKind.Smp, ClassVersion.SubnDirected],
    [MgmtClass.SubnAdm, ClassKind.Sa, ClassVersion.SubnAdm],
    [MgmtClass.PerfMgt, ClassKind.Gs, ClassVersion.PerfMgt],
    [MgmtClass.BoardMgt, ClassKind.Gs, ClassVersion.BoardMgt],
    [MgmtClass.DevMgt, ClassKind.Gs, ClassVersion.DevMgt],
    [MgmtClass.ComMgt, ClassKind.Gs, ClassVersion.ComMgt],
    [MgmtClass.Snmp, ClassKind.Gs, ClassVersion.Snmp],
    [MgmtClass.DevAdm, ClassKind.Gs, ClassVersion.DevAdm],
    [MgmtClass.Bis, ClassKind.Gs, ClassVersion.Bis],
    [MgmtClass.CongestionMgt, ClassKind.Gs, ClassVersion.CongestionMgt],
  ];
  for (const [cls, kind, version] of known) {
    CLASS_KIND[cls] = kind;
    CLASS_VERSION[cls] = version;
    VERSION_OK[(cls << 8) | version] = 1;
  }
  const vendor = (c: number): void => {
    CLASS_KIND[c] = ClassKind.Vendor;
    VERSION_OK.fill(1, c << 8, (c + 1) << 8); // vendor classes define their own versions
  };
  for (let c = MgmtClass.VendorLowMin; c <= MgmtClass.VendorLowMax; c++) vendor(c);
  for (let c = MgmtClass.VendorHighMin; c <= MgmtClass.VendorHighMax; c++) vendor(c);

  const methods: Record<number, readonly number[]> = {
    // SubnGet, SubnSet, SubnGetResp, SubnTrap, SubnTrapRepress (IBA 14.2.4).
    [ClassKind.Smp]: [Method.Get, Method.Set, Method.GetResp, Method.Trap, Method.TrapRepress],
    // SubnAdm methods (IBA 15.2.2): no Send, no Trap (traps go to the SM as SMPs).
    [ClassKind.Sa]: [
      Method.Get, Method.Set, Method.GetResp, Method.Report, Method.ReportResp, Method.GetTable,
      Method.GetTableResp, Method.GetTraceTable, Method.GetMulti, Method.GetMultiResp, Method.Delete, Method.DeleteResp,
    ],
    // Common GS methods (IBA 13.4.5) for the other classes.
    [ClassKind.Gs]: [Method.Get, Method.Set, Method.GetResp, Method.Send, Method.Trap, Method.Report, Method.ReportResp, Method.TrapRepress],
  };
  for (let cls = 0; cls < 256; cls++) {
    const kind = CLASS_KIND[cls]!;
    if (kind === ClassKind.Unknown) continue;
    if (kind === ClassKind.Vendor) {
      // Vendor classes define their own methods: anything but 0 and a bare response bit.
      for (let m = 1; m < 256; m++) if (m !== METHOD_RESPONSE_BIT) KIND_OF[(cls << 8) | m] = kind;
      continue;
    }
    for (const m of methods[kind]!) {
      const report = kind === ClassKind.Sa && (m === Method.Report || m === Method.ReportResp);
      KIND_OF[(cls << 8) | m] = report ? ClassKind.SaReport : kind;
    }
  }

  for (const name of Object.keys(SaAttr) as Array<keyof typeof SaAttr>) {
    ATTR_RULE[(ClassKind.Sa << 16) | SaAttr[name]] = Math.max(1, SaAttrSize[name] >> 3);
  }
  ATTR_RULE[(ClassKind.SaReport << 16) | SaAttr.Notice] = SaAttrSize.Notice >> 3;
  for (const id of Object.values(SmpAttr)) ATTR_RULE[(ClassKind.Smp << 16) | id] = ANY_ATTR;
  ATTR_RULE.fill(ANY_ATTR, (ClassKind.Smp << 16) | SMP_VENDOR_ATTR_MIN, (ClassKind.Smp << 16) | 0x10000);
  ATTR_RULE.fill(ANY_ATTR, ClassKind.Gs << 16, (ClassKind.Vendor + 1) << 16);
})();

/** Smallest acceptable nonzero AttributeOffset for an SA attribute id; 0 = not an SA attribute. */
export function saMinAttributeOffset(attributeId: number): number {
  return ATTR_RULE[(ClassKind.Sa << 16) | (attributeId & 0xffff)]!;
}

/** Largest AttributeOffset whose first record still starts inside the 200-byte SA data area. */
export const SA_MAX_ATTR_OFFSET = SA_DATA_SIZE >> 3;

/**
 * OFFSET_OK[rule << 8 | offset]: 1 when an AttributeOffset (offsets above 255 looked up as 255) is
 * acceptable under an ATTR_RULE value: 0 for no rule (no such attribute: never acceptable); ANY_ATTR
 * for classes whose AttributeOffset is not ours to check; for SA attributes 0 (unset, as OpenSM's
 * requests leave it) or from the record's size in 8-byte words up to the end of the SA data area.
 */
const OFFSET_OK = new Uint8Array(256 << 8);
(function buildOffsetTable(): void {
  OFFSET_OK.fill(1, ANY_ATTR << 8, (ANY_ATTR + 1) << 8);
  for (let rule = 1; rule < ANY_ATTR; rule++) {
    OFFSET_OK[rule << 8] = 1;
    for (let off = rule; off <= SA_MAX_ATTR_OFFSET; off++) OFFSET_OK[(rule << 8) | off] = 1;
  }
})();

// The same rules, shaped for checkMad's one chain of loads (diagnose() reads the tables above):
/** CLASS_ROW[class << 8 | classVersion]: 1 + class when the class exists and the version is right for it, else 0. */
const CLASS_ROW = new Uint16Array(65536);
/** KIND_OF_ROW[row << 8 | methodByte]: row 1 + class holds KIND_OF of that class; row 0 (bad class or version) is all Unknown. */
const KIND_OF_ROW = new Uint8Array(257 << 8);
/**
 * BASE_VERSION_FOR[rule << 8 | offset]: the BaseVersion a MAD must have to be valid with this rule and
 * AttributeOffset: 1 when OFFSET_OK, else 0x100, which no byte equals. Comparing it with byte 0 checks
 * BaseVersion and AttributeOffset in one test.
 */
const BASE_VERSION_FOR = new Uint16Array(256 << 8);
(function buildCheckTables(): void {
  for (let i = 0; i < 65536; i++) if (VERSION_OK[i] === 1) CLASS_ROW[i] = (i >> 8) + 1;
  KIND_OF_ROW.set(KIND_OF, 256);
  for (let i = 0; i < OFFSET_OK.length; i++) BASE_VERSION_FOR[i] = OFFSET_OK[i] === 1 ? 1 : 0x100;
})();

/**
 * Checks the 256-byte MAD at b[p..p+256); throws MadError naming the first offending field.
 * Four chained table loads and one compare decide validity; only an invalid MAD goes through
 * diagnose(), which finds the first offending field in protocol order. Kept this small on purpose:
 * wrapSlot() inlines it, and V8 charges both against the caller's inlining budget (see wrapSlot).
 */
export function checkMad(b: Uint8Array, p: number): void {
  const kind = KIND_OF_ROW[(CLASS_ROW[(b[p + 1]! << 8) | b[p + 2]!]! << 8) | b[p + 3]!]!;
  const rule = ATTR_RULE[(kind << 16) | (b[p + 16]! << 8) | b[p + 17]!]!;
  if (BASE_VERSION_FOR[(rule << 8) | (b[p + 44] === 0 ? b[p + 45]! : 255)] !== b[p]) diagnose(b, p);
}

// ---- the cold path: which field is wrong, in protocol order ----

/** A response is never answered; errors in one can only be dropped. */
function answerWith(b: Uint8Array, status: number): number {
  return (b[3]! & METHOD_RESPONSE_BIT) !== 0 ? MAD_DROP : status;
}

export function failLength(n: number): never {
  throw new MadError('length', String(n), n === 0 ? 'is empty (a MAD has 1..256 bytes, short ones are zero-padded)' : `exceeds ${MAD_SIZE} bytes`, MAD_DROP);
}

export function failSlot(ringLength: number, offset: number): never {
  throw new MadError('slot offset', String(offset), `does not leave ${MAD_SIZE} bytes in a ring of ${ringLength}`, MAD_DROP);
}

function diagnose(ring: Uint8Array, p: number): never {
  const b = ring.subarray(p, p + MAD_SIZE);
  const cls = b[1]!;
  const method = b[3]!;
  const attr = (b[16]! << 8) | b[17]!;
  if (b[0] !== 1) throw new MadError('baseVersion', String(b[0]), 'is not 1', answerWith(b, MadStatus.BadVersion));
  if (CLASS_KIND[cls] === ClassKind.Unknown) {
    throw new MadError('mgmtClass', hex8(cls), 'is not a known management class', answerWith(b, MadStatus.BadVersion));
  }
  if (VERSION_OK[(cls << 8) | b[2]!] === 0) {
    throw new MadError('classVersion', String(b[2]), `is not ${CLASS_VERSION[cls]} for class ${hex8(cls)}`, answerWith(b, MadStatus.BadVersion));
  }
  const kind = KIND_OF[(cls << 8) | method]!;
  if (kind === ClassKind.Unknown) {
    throw new MadError('method', hex8(method), `is reserved or not valid for class ${hex8(cls)}`, answerWith(b, MadStatus.UnsupportedMethod));
  }
  const rule = ATTR_RULE[(kind << 16) | attr]!;
  if (rule === 0) {
    if (kind === ClassKind.SaReport && saMinAttributeOffset(attr) !== 0) {
      throw new MadError('attributeId', hex16(attr), `is not Notice (0x0002), the only attribute of method ${hex8(method)}`, answerWith(b, MadStatus.UnsupportedMethodAttr));
    }
    throw new MadError('attributeId', hex16(attr), `is not an attribute of class ${hex8(cls)}`, answerWith(b, MadStatus.UnsupportedMethodAttr));
  }
  const off = (b[44]! << 8) | b[45]!;
  const why = off > SA_MAX_ATTR_OFFSET
    ? `points outside the ${SA_DATA_SIZE}-byte SA data area (offset * 8 = ${off * 8})`
    : `is smaller than attribute ${hex16(attr)} needs (at least ${rule} 8-byte words)`;
  throw new MadError('attributeOffset', String(off), why, answerWith(b, MadStatus.InvalidField));
}

// Named constants of the InfiniBand management datagram (MAD) protocol.
// Values follow the IBA spec vol. 1 ch. 13-15 as spelled out in OpenSM's include/iba/ib_types.h (3.3.23);
// every wire number the codec or an agent uses appears here once, by name.

/** Every MAD is exactly this long on the wire; shorter transport buffers are zero-padded. */
export const MAD_SIZE = 256;
/** Common MAD header length (BaseVersion .. AttributeModifier). */
export const MAD_HEADER_SIZE = 24;
/** Where the SA data (the attribute records) starts: 24-byte common header + 32-byte SA header. */
export const SA_DATA_OFFSET = 56;
/** SA data area length: 256 - 56. */
export const SA_DATA_SIZE = 200;
/** SMP data starts after the 64 bytes of header, M_Key, DrSLID/DrDLID and reserved. */
export const SMP_DATA_OFFSET = 64;
/** General services interface queue pair and its well-known Q_Key. */
export const GSI_QP = 1;
export const GSI_QKEY = 0x80010000;
/** The default subnet prefix fe80::/64 split into its two 32-bit halves. */
export const DEFAULT_SUBNET_PREFIX_HIGH = 0xfe800000;
export const DEFAULT_SUBNET_PREFIX_LOW = 0;
/** Unicast LID range and the permissive LID. */
export const LID_UNICAST_MIN = 0x0001;
export const LID_UNICAST_MAX = 0xbfff;
export const LID_PERMISSIVE = 0xffff;
/** The only MAD BaseVersion defined by the IBA. */
export const MAD_BASE_VERSION = 1;

/** Management classes (MAD byte 1). */
export const MgmtClass = {
  SubnLid: 0x01,
  SubnDirected: 0x81,
  SubnAdm: 0x03,
  PerfMgt: 0x04,
  BoardMgt: 0x05,
  DevMgt: 0x06,
  ComMgt: 0x07,
  Snmp: 0x08,
  VendorLowMin: 0x09,
  VendorLowMax: 0x0f,
  DevAdm: 0x10,
  Bis: 0x12,
  CongestionMgt: 0x21,
  VendorHighMin: 0x30,
  VendorHighMax: 0x4f,
} as const;

/** ClassVersion each class must carry (MAD byte 2). Vendor classes define their own and are not checked. */
export const ClassVersion = {
  SubnLid: 1,
  SubnDirected: 1,
  SubnAdm: 2,
  PerfMgt: 1,
  BoardMgt: 1,
  DevMgt: 1,
  ComMgt: 2,
  Snmp: 1,
  DevAdm: 1,
  Bis: 1,
  CongestionMgt: 2,
} as const;

/** Methods (MAD byte 3, including the response bit 0x80 where a response is meant). */
export const Method = {
  Get: 0x01,
  Set: 0x02,
  Send: 0x03,
  Trap: 0x05,
  Report: 0x06,
  TrapRepress: 0x07,
  GetTable: 0x12,
  GetTraceTable: 0x13,
  GetMulti: 0x14,
  Delete: 0x15,
  GetResp: 0x81,
  ReportResp: 0x86,
  GetTableResp: 0x92,
  GetMultiResp: 0x94,
  DeleteResp: 0x95,
} as const;

/** The response bit of the method byte. */
export const METHOD_RESPONSE_BIT = 0x80;

/** Subnet administration (class 0x03) attribute ids: the full IBA list (ib_types.h 3.3.23). */
export const SaAttr = {
  ClassPortInfo: 0x0001,
  Notice: 0x0002,
  InformInfo: 0x0003,
  NodeRecord: 0x0011,
  PortInfoRecord: 0x0012,
  SlToVlMappingTableRecord: 0x0013,
  SwitchInfoRecord: 0x0014,
  LinearForwardingTableRecord: 0x0015,
  RandomForwardingTableRecord: 0x0016,
  MulticastForwardingTableRecord: 0x0017,
  SmInfoRecord: 0x0018,
  LinkRecord: 0x0020,
  GuidInfoRecord: 0x0030,
  ServiceRecord: 0x0031,
  PKeyTableRecord: 0x0033,
  PathRecord: 0x0035,
  VlArbitrationTableRecord: 0x0036,
  McMemberRecord: 0x0038,
  TraceRecord: 0x0039,
  MultiPathRecord: 0x003a,
  ServiceAssociationRecord: 0x003b,
  InformInfoRecord: 0x00f3,
} as const;

/**
 * Record sizes in bytes as the IBA defines them (without OpenSM's trailing struct padding).
 * AttributeOffset is counted in 8-byte words; OpenSM computes it as size >> 3, which is why an
 * InformInfo reply carries 4 although the record is 36 bytes: the smallest acceptable nonzero
 * offset is therefore max(1, size >> 3).
 */
export const SaAttrSize: Readonly<Record<keyof typeof SaAttr, number>> = {
  ClassPortInfo: 72,
  Notice: 80,
  InformInfo: 36,
  NodeRecord: 108,
  PortInfoRecord: 68,
  SlToVlMappingTableRecord: 16,
  SwitchInfoRecord: 24,
  LinearForwardingTableRecord: 72,
  RandomForwardingTableRecord: 72,
  MulticastForwardingTableRecord: 72,
  SmInfoRecord: 25,
  LinkRecord: 6,
  GuidInfoRecord: 72,
  ServiceRecord: 176,
  PKeyTableRecord: 72,
  PathRecord: 64,
  VlArbitrationTableRecord: 72,
  McMemberRecord: 52,
  TraceRecord: 48,
  MultiPathRecord: 24,
  ServiceAssociationRecord: 80,
  InformInfoRecord: 60,
};

/** Subnet management (classes 0x01 and 0x81) attribute ids. 0xFF00-0xFFFF is the vendor range. */
export const SmpAttr = {
  Notice: 0x0002,
  NodeDescription: 0x0010,
  NodeInfo: 0x0011,
  SwitchInfo: 0x0012,
  GuidInfo: 0x0014,
  PortInfo: 0x0015,
  PKeyTable: 0x0016,
  SlToVlMappingTable: 0x0017,
  VlArbitrationTable: 0x0018,
  LinearForwardingTable: 0x0019,
  RandomForwardingTable: 0x001a,
  MulticastForwardingTable: 0x001b,
  SmInfo: 0x0020,
  VendorDiag: 0x0030,
  LedInfo: 0x0031,
  MlnxExtendedPortInfo: 0xff90,
} as const;
export const SMP_VENDOR_ATTR_MIN = 0xff00;

/**
 * MAD status values. The generic part is bits 0-4 (busy, redirect, invalid-field code in bits 2-4);
 * the SA class-specific part is bits 8-15.
 * Note: IBA Table 110 / ib_types.h give 0x0008 = method not supported, 0x000C = method/attribute
 * combination not supported, 0x001C = invalid field value; the names below keep the project contract's
 * names and carry the IBA values.
 */
export const MadStatus = {
  Ok: 0x0000,
  Busy: 0x0001,
  Redirect: 0x0002,
  BadVersion: 0x0004,
  UnsupportedMethod: 0x0008,
  UnsupportedMethodAttr: 0x000c,
  InvalidField: 0x001c,
  InvalidAttrValue: 0x001c,
  SaNoResources: 0x0100,
  SaRequestInvalid: 0x0200,
  SaNoRecords: 0x0300,
  SaTooManyRecords: 0x0400,
  SaInvalidGid: 0x0500,
  SaInsufficientComponents: 0x0600,
  SaDenied: 0x0700,
  SaPrioritySuggested: 0x0800,
} as const;

/** Status of a MadError for input that cannot be answered at all (wrong length): drop it. */
export const MAD_DROP = -1;

/** Generic trap numbers (Notice TrapNumber with IsGeneric = 1). */
export const TrapNumber = {
  GidInService: 64,
  GidOutOfService: 65,
  McGroupCreated: 66,
  McGroupDeleted: 67,
  UnPath: 68,
  RePath: 69,
  LinkStateChange: 128,
  LinkIntegrityThreshold: 129,
  BufferOverrunThreshold: 130,
  WatchdogTimerExpired: 131,
  CapabilityMaskChange: 144,
  SystemImageGuidChange: 145,
  BadMKey: 256,
  BadPKey: 257,
  BadQKey: 258,
  BadSwitchPKey: 259,
} as const;

/** Notice / InformInfo Type. */
export const NoticeType = {
  Fatal: 0,
  Urgent: 1,
  Security: 2,
  SubnetManagement: 3,
  Info: 4,
  Empty: 0x7f,
} as const;

/** Notice / InformInfo ProducerType (IsGeneric = 1). */
export const ProducerType = {
  Ca: 1,
  Switch: 2,
  Router: 3,
  ClassManager: 4,
} as const;

/** InformInfo wildcards. */
export const INFORM_ALL_LIDS = 0xffff;
export const INFORM_ANY_TYPE = 0xffff;
export const INFORM_ANY_TRAP = 0xffff;
export const INFORM_ANY_PRODUCER = 0xffffff;

/** vmState values carried in RePath/UnPath DataDetails (see notice.ts). */
export const VmState = {
  Unknown: 0,
  Running: 1,
  Suspended: 2,
  Migrating: 3,
  Gone: 4,
} as const;

export {
  PathRecordMask,
  GuidInfoRecordMask,
  InformInfoRecordMask,
  InformInfoMask,
  maskHasBit,
  maskWithBit,
  maskWithoutBit,
  maskHigh,
  maskLow,
} from './component-mask.js';

// Fabric state tables in SharedArrayBuffers: see each module for its layout and why.
export { TableFullError, guidHex } from './table-error.js';
export { GuidSlots, guidHash, homeOf, DEFAULT_MAX_LOAD, type GuidSlotsLayout, type GuidSlotsOptions, type GuidSlotsShared } from './guid-slots.js';
export { GuidHashTable, type GuidHashTableShared } from './guid-hash.js';
export { GuidMultiMap, type GuidMultiMapOptions, type GuidMultiMapShared } from './guid-multimap.js';
export { LidVguidTable, VguidState, MAX_PORT_INDEX, type LidVguidTableShared } from './lid-vguid-table.js';
export { TrapTable, TRAP_DEFAULT_MAX_LOAD, type TrapTableShared } from './trap-table.js';
export { GuidCache, LIST_TAIL_MASKS, MAX_SLOTS_PER_HOST, type GuidCacheShared } from './guid-cache.js';
export { PathCache, type PathCacheShared } from './path-cache.js';

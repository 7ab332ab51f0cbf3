// The subnet manager / subnet administrator of repath.
export { SubnetManager, ReportScope, responseMethod, type SubnetManagerOptions } from './subnet-manager.js';
export { assignLids, MAX_UNICAST_LIDS, type LidPlan } from './lid-assignment.js';
export { VguidAssigner, OPENIB_VENDOR_ID } from './vguid-assignment.js';
export { Subscriptions, InformFields, NoticeFields } from './subscriptions.js';
export { ReportSender } from './report-sender.js';
export { attachVguid, detachVguid, expireParked } from './sa-guid-info-record.js';
export { subscribeDirect, informFieldsFrom } from './sa-inform-info.js';
export { recordInterestDirect, PATH_MTU_BYTE, PATH_RATE_BYTE, PATH_PKT_LIFE_BYTE } from './sa-path-record.js';
export { LIFE_CYCLE_VENDOR_ID, LifeCycleDevice } from './life-cycle.js';

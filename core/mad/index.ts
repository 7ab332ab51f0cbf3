// The MAD codec: constants, the error type, GID and attribute views, MadView, and the JSON form.
export * from './constants.js';
export * from './component-mask.js';
export * from './mad-error.js';
export * from './bytes.js';
export * from './gid-view.js';
export * from './path-record.js';
export * from './guid-info-record.js';
export * from './inform-info.js';
export * from './inform-info-record.js';
export * from './class-port-info.js';
export * from './notice.js';
export * from './mad-rules.js';
export * from './mad-view.js';
export * from './mad-json.js';
export * from './report-resp.js';

// The hypervisors' management domains (Dom0): GUID admin tables, PF subscription, Algorithm 2.
export { Dom0, ForwardMode, fillDom0InformInfo, type Dom0Options } from './dom0.js';
export type { VfEndpoint } from './vf-endpoint.js';

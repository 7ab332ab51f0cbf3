// Transports for MADs: the interface, and the in-process emulated fabric in virtual time.
export { SinkRole, type MadSink, type MadTap, type Transport } from './transport.js';
export { MadSlab } from './mad-slab.js';
export { EmulatedFabric, type EmulatedFabricOptions } from './emulated-fabric.js';

// repath's library entry point (package "main"): the embedding API and the pieces it is made of.
export { Fabric, runScenario, FABRIC_EVENTS } from './api.js';
export type {
  FabricOptions,
  FabricEvents,
  FabricEventName,
  NoticeSentEvent,
  NoticeForwardedEvent,
  CacheUpdatedEvent,
  ConnectionRestoredEvent,
  RunScenarioOptions,
} from './api.js';
export { runSchemes, mergeOutcomes, pcapPathFor } from './engine/run-schemes.js';
export type { RunSchemesOptions, SchemeResult, SchemesRun } from './engine/run-schemes.js';
export { runSchemeTask, TraceLimitError, DEFAULT_PCAP_LIMIT_BYTES } from './engine/scheme-run.js';
export type { SchemeTask, SchemeOutcome } from './engine/scheme-run.js';
export { schemeReport } from './engine/run-report.js';
export type { SchemeReport, SmMadsByKind, LatencyFigures, EngineFigures } from './engine/run-report.js';
export { EmulatedSubnet, runSingleThread } from './engine/single-thread-run.js';
export type { RunResult, RunOptions } from './engine/single-thread-run.js';
export { defaultCostModel, withOverrides, COST_PARAMETERS } from './engine/cost-model.js';
export type { CostModel, CostParameter } from './engine/cost-model.js';
export { Counters, Counter, COUNTER_NAMES } from './metrics/counters.js';
export type { CounterName } from './metrics/counters.js';
export { LatencyHistogram } from './metrics/latency-histogram.js';
export type { LatencySummary } from './metrics/latency-histogram.js';
export { schemeConfig, isSignalling } from './schemes.js';
export * from './scenario/index.js';

// Public surface of the scenario module.
export * from './scenario.js';
export { ScenarioError } from './scenario-error.js';
export { generateScenario, topologySpecOf, GUID_OUI_HIGH, VGUID_LOW_BASE, DYNAMIC_VGUID_LOW_BASE } from './generator.js';
export type { GeneratedScenario, GenerateOptions } from './generator.js';
export { resolveScenarioOptions, DEFAULTS as SCENARIO_DEFAULTS, LID_SPACE_RULES } from './scenario-options.js';
export type { ScenarioOptions, ResolvedScenarioOptions, TopologyInput, LidSpaceRule } from './scenario-options.js';
export { readScenarioFile, writeScenarioFile, scenarioFileFormat } from './scenario-file.js';
export type { WriteScenarioOptions, ScenarioFileFormat } from './scenario-file.js';
export { scenarioFromJson, scenarioToJson, SCENARIO_FORMAT } from './scenario-json.js';
export { encodeScenarioFb, decodeScenarioFb } from './scenario-fb.js';
export { buildExplicitScenario, guidText, parseGuid } from './explicit.js';
export type { ExplicitArrays } from './explicit.js';
export { Xoshiro128, SplitMix32 } from '../random.js';

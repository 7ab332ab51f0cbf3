// The MAD fuzzer (issue 7): seeded inputs into the decoder and the SA, Dom0 and VM handlers.
export { MadMutator, InputKind, FUZZ_BUFFER, type MutatorOptions } from './mutator.js';
export { goldenMads, engineMads } from './corpus.js';
export { FUZZ_TARGETS, Fate, FATE_NAMES, makeTarget, type FuzzTarget, type FuzzTargetName } from './targets.js';
export { runFuzz, runFuzzWatched, fuzzSummary, type FuzzOptions, type FuzzReport, type FuzzTargetReport, type FuzzSample } from './run-fuzz.js';

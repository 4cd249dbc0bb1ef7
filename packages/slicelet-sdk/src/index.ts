/** @packageDocumentation The slicelet-sdk package of dicer-ts (being built). */
export {};

// Load accounting (area: Slicelet load accounting, issue #6): per-slice EWMA rates, the top-keys
// sketch and the load accumulator whose report fills the heartbeat's SliceLoadP fields.
export { EwmaAccumulator, EwmaCounter, ewmaAlphaForHalfLife, DEFAULT_LOAD_HALF_LIFE_SECONDS } from './load/ewma.js';
export type { EwmaValue } from './load/ewma.js';
export { TopKeysSketch, DEFAULT_TOP_KEYS_SUPPORT, DEFAULT_TOP_KEYS_ERROR } from './load/top-keys.js';
export type { TopKeysSketchOptions, TopKey } from './load/top-keys.js';
export { LoadAccumulator, DEFAULT_TOP_KEYS_MINIMUM_LOAD_FRACTION } from './load/load-accumulator.js';
export type { LoadAccumulatorOptions, AssignedSliceLoad, LoadGeneration } from './load/load-accumulator.js';
export { SliceLoadCounter } from './load/slice-load-counter.js';
export type { SliceLoadCounterConfig, SliceLoadReading } from './load/slice-load-counter.js';
export { KeyLoadRecorder } from './load/key-load-recorder.js';
export { LoadTotals, LOAD_DISTRIBUTION_BUCKETS } from './load/load-totals.js';
export { sliceLoadToProto, keyLoadToProto, toSliceLoad } from './load/load-report.js';
export type { KeyLoadReport, SliceLoadReport, SliceletLoadReport } from './load/load-report.js';

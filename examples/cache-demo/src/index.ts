/**
 * @packageDocumentation
 * The dicer-ts cache demo: a sharded in-memory key-value cache. Cache servers embed a Slicelet
 * (`CacheServer`), a load generator routes with a Clerk (`LoadGenerator`), and `DemoCluster` runs
 * an Assigner, N servers and the load generator as separate processes — what `npm start` shows and
 * what `test/e2e` drives.
 *
 * @example
 * ```ts
 * const cluster = await DemoCluster.start({ servers: 4, debugPort: 0 });
 * cluster.setHotKey(true);
 * console.log(await cluster.debugTarget());
 * await cluster.close();
 * ```
 */
export { CacheServer, DEMO_TARGET, DEFAULT_MAX_ENTRIES, DEFAULT_DRAIN_GRACE_MS, DEFAULT_CACHE_DRAIN_TIMEOUT_MS } from './cache-server.js';
export type { CacheServerOptions } from './cache-server.js';
export { LoadGenerator, resourceHostPort, DEFAULT_REQUEST_RATE, DEFAULT_MAX_ATTEMPTS, DEFAULT_ATTEMPT_TIMEOUT_MS, DEFAULT_RETRY_BACKOFF_MS, DEFAULT_MAX_INFLIGHT } from './load-generator.js';
export type { LoadGeneratorOptions } from './load-generator.js';
export { CACHE_SERVICE_DEFINITION, createCacheClient, getRequest, putRequest, getResponse, putResponse } from './cache-service.js';
export type { CacheClient, CacheServiceHandlers } from './cache-service.js';
export { Workload, DEFAULT_KEY_COUNT, DEFAULT_ZIPF_EXPONENT, DEFAULT_HOT_KEY, DEFAULT_HOT_KEY_FRACTION } from './workload.js';
export type { WorkloadOptions } from './workload.js';
export { Zipf } from './zipf.js';
export { parseProcessMessage, parseWorkloadCommand, writeProcessMessage } from './process-messages.js';
export type { DemoRole, ReadyMessage, CacheServerStats, LoadGeneratorStats, ProcessMessage, WorkloadCommand } from './process-messages.js';
export { DemoCluster, DEMO_CONFIG_DIR } from './demo/demo-cluster.js';
export type { DemoClusterOptions, ServerSlot } from './demo/demo-cluster.js';
export { DemoProcess, ENTRY_POINTS } from './demo/demo-process.js';
export type { ExitInfo } from './demo/demo-process.js';
export { fetchDebugTarget } from './demo/debug-json.js';
export type { DebugJson, DebugJsonTarget, DebugJsonSlice, DebugJsonPod, DebugJsonGeneration } from './demo/debug-json.js';
export { diffAssignments, describeChanges } from './demo/assignment-events.js';
export type { AssignmentChanges } from './demo/assignment-events.js';
export { renderView, maxOverMean, shortGeneration } from './demo/terminal-view.js';
export type { ViewInput, PodRow } from './demo/terminal-view.js';
export { LiveView } from './demo/live-view.js';
export { parseDemoCommandLine, demoHelpText } from './demo/demo-options.js';
export type { DemoOptions, DemoCommand } from './demo/demo-options.js';

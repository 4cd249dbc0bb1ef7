/**
 * @packageDocumentation
 * The private test harness of dicer-ts: throwaway etcd members, free ports, `eventually`, and
 * the conformance vectors of `../shared/vectors/`. Used by every package's tests and by `test/e2e`.
 */
export { startEtcd, findEtcdBinary } from './etcd.js';
export type { EtcdHandle, StartEtcdOptions } from './etcd.js';
export { eventually } from './eventually.js';
export type { EventuallyOptions } from './eventually.js';
export { freePort } from './free-port.js';
export { loadVector, vectorsDir } from './vectors.js';

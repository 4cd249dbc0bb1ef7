/**
 * Makes the Assigner's etcd store for `--etcd`, when the assigner package exports one. Looked up
 * at run time so the demo still builds and runs on the in-memory store while the etcd store is not
 * part of the assigner's public surface.
 */
import type { Logger } from '@dicer-ts/common';
import { FailedPreconditionError } from '@dicer-ts/common';
import type { Store } from '@dicer-ts/assigner';

interface EtcdStoreModule {
  readonly EtcdStore?: { create(options: { etcd: { endpoints: readonly string[] }; storeIncarnation: bigint; logger?: Logger }): Store };
}

/**
 * An etcd store on `endpoints` with a fresh, non-loose incarnation (even, as etcd stores use).
 *
 * @throws {FailedPreconditionError} when `@dicer-ts/assigner` exports no `EtcdStore`.
 */
export async function createEtcdStore(endpoints: readonly string[], logger: Logger): Promise<Store> {
  const assignerModule = (await import('@dicer-ts/assigner')) as unknown as EtcdStoreModule;
  if (assignerModule.EtcdStore === undefined) {
    throw new FailedPreconditionError('--etcd needs the etcd store in @dicer-ts/assigner (EtcdStore), which it does not export yet');
  }
  return assignerModule.EtcdStore.create({ etcd: { endpoints }, storeIncarnation: 2n, logger });
}

/** Whether `@dicer-ts/assigner` exports the etcd store. */
export async function etcdStoreAvailable(): Promise<boolean> {
  const assignerModule = (await import('@dicer-ts/assigner')) as unknown as EtcdStoreModule;
  return assignerModule.EtcdStore !== undefined;
}

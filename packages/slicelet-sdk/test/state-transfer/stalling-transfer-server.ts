/**
 * A child process for the "previous owner dies mid-transfer" test: serves Fetch on a free loopback
 * port (printed on stdout), sends ten entries, then stalls until it is killed.
 */
import { ServerCredentials } from '@grpc/grpc-js';
import { createStateTransferImplementation, startTransferServer } from '../../src/state-transfer/transfer-service.js';

const implementation = createStateTransferImplementation({
  target: 'it-cache',
  closing: new AbortController().signal,
  sink: { started: () => undefined, ended: () => undefined },
  provide: async function* () {
    for (let i = 0; i < 10; i++) yield { key: Uint8Array.of(i), value: new Uint8Array(16) };
    await new Promise<never>(() => undefined);
  },
});
const server = await startTransferServer('127.0.0.1', 0, ServerCredentials.createInsecure(), implementation);
process.stdout.write(`${server.port}\n`);

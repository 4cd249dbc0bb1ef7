import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on the loopback interface.
 *
 * The port is released before this resolves, so another process could take it first; callers that
 * start a server on it should be ready to retry (the etcd harness does).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the bound port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

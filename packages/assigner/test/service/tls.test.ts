import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { pino } from 'pino';
import { Assigner } from '../../src/assigner.js';
import { RawWatchClient, clerkRequest } from './watch-client-helpers.js';

/** Throwaway CA, server and client certificates (EC P-256, one day), made with openssl. */
function makeCertificates(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', Buffer> {
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=dicer-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const name of ['server', 'client']) {
    run('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name === 'server' ? 'localhost' : 'dicer-client'}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1',
      ...(name === 'server' ? ['-extfile', 'server.ext'] : []));
  }
  const read = (f: string): Buffer => readFileSync(join(dir, f));
  return {
    ca: read('ca.pem'),
    serverCert: read('server.pem'),
    serverKey: read('server.key'),
    clientCert: read('client.pem'),
    clientKey: read('client.key'),
  };
}

describe('Assigner TLS', function () {
  this.timeout(60_000);
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let assigner: Assigner | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dicer-tls-'));
    certs = makeCertificates(dir);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  afterEach(async () => {
    await assigner?.close();
    assigner = undefined;
  });

  async function start(mutual: boolean): Promise<Assigner> {
    assigner = await Assigner.start({
      port: 0,
      host: '127.0.0.1',
      debugPort: 'disabled',
      targets: { 'demo-cache': { maxLoadHint: 1000 } },
      tls: { certChain: certs.serverCert, privateKey: certs.serverKey, clientCaCerts: mutual ? certs.ca : undefined },
      logger: pino({ level: 'silent' }),
    });
    return assigner;
  }

  /** A call that reaches the handler: unknown target, answered at once with NOT_FOUND. */
  async function probe(client: RawWatchClient): Promise<number> {
    const result = await client.call(clerkRequest('no-such-target'));
    client.close();
    return result.ok ? status.OK : result.error.code;
  }

  it('serves a TLS client that trusts the CA', async () => {
    const a = await start(false);
    const client = new RawWatchClient(`localhost:${a.port}`, credentials.createSsl(certs.ca));
    assert.equal(await probe(client), status.NOT_FOUND);
  });

  it('refuses a plaintext client', async () => {
    const a = await start(false);
    assert.equal(await probe(new RawWatchClient(`127.0.0.1:${a.port}`)), status.UNAVAILABLE);
  });

  it('with mutual TLS, refuses a client without a certificate', async () => {
    const a = await start(true);
    const client = new RawWatchClient(`localhost:${a.port}`, credentials.createSsl(certs.ca));
    assert.equal(await probe(client), status.UNAVAILABLE);
  });

  it('with mutual TLS, serves a client with a certificate signed by the CA', async () => {
    const a = await start(true);
    const client = new RawWatchClient(`localhost:${a.port}`, credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert));
    assert.equal(await probe(client), status.NOT_FOUND);
  });
});

/**
 * The debug HTTP server, on its own port (default 7777, loopback by default): `/` and `/debug`
 * serve the HTML page, `/debug/json` the same data as JSON, `/metrics` Prometheus text. Read-only;
 * every request builds a fresh snapshot through the injected `snapshot` callback.
 *
 * @see store-ha.md §1.1 (info server), §8
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Logger, componentLogger } from '@dicer-ts/common';
import type { DebugSnapshot } from './debug-snapshot.js';
import type { AssignerMetrics } from './metrics.js';
import { renderDebugPage } from './render-debug-page.js';

/** What a {@link DebugServer} needs. */
export interface DebugServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly snapshot: () => DebugSnapshot;
  readonly metrics: AssignerMetrics;
  /** Called before `/metrics` is rendered, to refresh gauges that are sampled. */
  readonly beforeScrape?: () => void;
  readonly logger: Logger;
}

/** The running debug server. */
export class DebugServer {
  private constructor(
    private readonly server: Server,
    /** The bound port. */
    readonly port: number,
  ) {}

  /** Starts listening. */
  static async start(options: DebugServerOptions): Promise<DebugServer> {
    const log = componentLogger(options.logger, 'debug-server');
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const send = (status: number, type: string, body: string): void => {
        res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        res.end(body);
      };
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
      try {
        if (path === '/' || path === '/debug') return send(200, 'text/html; charset=utf-8', renderDebugPage(options.snapshot()));
        if (path === '/debug/json') return send(200, 'application/json', JSON.stringify(options.snapshot(), null, 2));
        if (path === '/metrics') {
          options.beforeScrape?.();
          options.metrics.registry.metrics().then(
            (text) => send(200, options.metrics.registry.contentType, text),
            (err: unknown) => {
              log.error({ err }, 'metrics rendering failed');
              send(500, 'text/plain', 'metrics failed\n');
            },
          );
          return;
        }
        return send(404, 'text/plain', 'not found\n');
      } catch (err) {
        log.error({ err, path }, 'debug page failed');
        return send(500, 'text/plain', 'internal error\n');
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    log.info({ host: options.host, port }, 'debug server listening');
    return new DebugServer(server, port);
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

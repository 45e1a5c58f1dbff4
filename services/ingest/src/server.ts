import { once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealthHandlers, createLifecycle } from '@event-pipeline/platform';
import type { Lifecycle, ReadinessCheck, ShutdownReport } from '@event-pipeline/platform';
import { createIngestApp } from './app.ts';
import type { IngestDeps } from './app.ts';
import { createEventPreparer } from './prepare-pool.ts';

export interface IngestServerOptions {
  readonly port: number;
  readonly host?: string;
  /** Shutdown runs through this lifecycle (main adds its own steps, e.g. closing Redis). */
  readonly lifecycle?: Lifecycle;
  readonly shutdownTimeoutMs?: number;
  /** Readiness checks besides the producer's connection. */
  readonly checks?: readonly ReadinessCheck[];
}

export interface IngestServer {
  readonly port: number;
  readonly server: Server;
  /** Not ready, stop accepting, finish in-flight requests and their produces, disconnect. */
  stop(reason?: string): Promise<ShutdownReport>;
}

export async function startIngest(
  deps: Omit<IngestDeps, 'health' | 'preparer'>,
  {
    port,
    host = '127.0.0.1',
    lifecycle: given,
    shutdownTimeoutMs = 25_000,
    checks = [],
  }: IngestServerOptions,
): Promise<IngestServer> {
  const lifecycle = given ?? createLifecycle({ logger: deps.logger, timeoutMs: shutdownTimeoutMs });
  const { producer } = deps;
  const health = createHealthHandlers({
    registry: deps.metrics.registry,
    checks: [
      {
        name: 'kafka-producer',
        check: () =>
          producer.connected()
            ? Promise.resolve()
            : Promise.reject(new Error('the producer is not connected')),
      },
      ...checks,
    ],
  });
  const preparer = createEventPreparer(
    { pipeline: deps.config.pipeline, limits: deps.config.limits },
    deps.config.prepareThreads ?? 0,
    { logger: deps.logger.child({ component: 'ingest-prepare' }) },
  );
  const app = createIngestApp({ ...deps, health, preparer });
  const server = createServer({ keepAliveTimeout: 65_000 }, app);
  let closing = false;
  server.on('request', (_req, res) => {
    if (closing) res.setHeader('connection', 'close');
  });
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const log = deps.logger.child({ component: 'ingest-server' });
  log.info({ port: address.port, host }, 'ingest listening');

  let closed: Promise<void> | undefined;
  lifecycle.onShutdown(
    'ingest: not ready',
    () => {
      health.markNotReady('shutting down');
    },
    { phase: 'not-ready' },
  );
  lifecycle.onShutdown(
    'ingest: stop accepting connections',
    () => {
      closing = true;
      closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
    },
    { phase: 'stop-intake' },
  );
  lifecycle.onShutdown(
    'ingest: finish in-flight requests',
    async (signal) => {
      const timer = setInterval(() => server.closeIdleConnections(), 100);
      signal.addEventListener('abort', () => server.closeAllConnections(), { once: true });
      try {
        await closed;
      } finally {
        clearInterval(timer);
      }
    },
    { phase: 'drain' },
  );
  lifecycle.onShutdown('prepare threads: stop', () => preparer.close(), { phase: 'drain' });
  lifecycle.onShutdown('kafka producer: flush and disconnect', () => producer.disconnect(), {
    phase: 'drain',
  });
  return {
    port: address.port,
    server,
    stop: (reason = 'stop requested') => lifecycle.shutdown(reason),
  };
}

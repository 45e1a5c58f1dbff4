import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import {
  createLifecycle,
  createLogger,
  createMetrics,
  env,
  logProcessWarnings,
  parseConfig,
  startHealthServer,
  startTracing,
} from '@event-pipeline/platform';
import { startOperator } from './operator.ts';

const configSchema = z.object({
  /** A kubeconfig file; in-cluster service account credentials when unset. */
  KUBECONFIG: z.string().min(1).optional(),
  /** Watch one namespace; every namespace when unset. */
  WATCH_NAMESPACE: z.string().min(1).optional(),
  INGEST_IMAGE: z.string().min(1).prefault('ghcr.io/event-pipeline/ingest:latest'),
  CONSUMER_IMAGE: z.string().min(1).prefault('ghcr.io/event-pipeline/dedup-consumer:latest'),
  ARCHIVER_IMAGE: z.string().min(1).prefault('ghcr.io/event-pipeline/archiver:latest'),
  /** A Prometheus Pushgateway the archive jobs push their run metrics to; none when unset. */
  ARCHIVE_PUSHGATEWAY_URL: z.url().optional(),
  /** /livez, /readyz and /metrics. */
  METRICS_PORT: env.port({ allowZero: true }).prefault('8081'),
  LEADER_ELECTION: env.boolean().prefault('true'),
  LEASE_NAMESPACE: z.string().min(1).prefault('event-pipeline-system'),
  LEASE_NAME: z.string().min(1).prefault('event-pipeline-operator'),
  /** The Lease holder identity; the pod name (downward API) in a cluster. */
  POD_NAME: z.string().min(1).optional(),
  WORKERS: env.positiveInt({ max: 64 }).prefault('4'),
  RESYNC_PERIOD: env.duration().prefault('5m'),
  FINALIZER_TIMEOUT: env.duration().prefault('2m'),
  /** external.metrics.k8s.io over TLS; off when unset. Needs TLS_CERT_FILE and TLS_KEY_FILE. */
  METRICS_API_PORT: env.port({ allowZero: true }).optional(),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  /** The aggregator's front-proxy client CA; when set, only the aggregator is served. */
  CLIENT_CA_FILE: z.string().min(1).optional(),
  LOG_LEVEL: env.logLevel().prefault('info'),
  SHUTDOWN_TIMEOUT: env.duration().prefault('20s'),
});

const config = parseConfig(configSchema);
const logger = createLogger({ name: 'event-pipeline-operator', level: config.LOG_LEVEL });
logProcessWarnings(logger);
const lifecycle = createLifecycle({ logger, timeoutMs: config.SHUTDOWN_TIMEOUT });
lifecycle.installSignalHandlers(process);
const tracing = await startTracing({ serviceName: 'event-pipeline-operator' });
lifecycle.onShutdown('tracing', () => tracing.shutdown());

const kubeConfig = new k8s.KubeConfig();
if (config.KUBECONFIG === undefined) kubeConfig.loadFromCluster();
else kubeConfig.loadFromFile(config.KUBECONFIG);

const metrics = createMetrics();

async function metricsApiOptions() {
  if (config.METRICS_API_PORT === undefined) return undefined;
  if (config.TLS_CERT_FILE === undefined || config.TLS_KEY_FILE === undefined) {
    throw new Error('METRICS_API_PORT needs TLS_CERT_FILE and TLS_KEY_FILE');
  }
  const [cert, key, clientCa] = await Promise.all([
    readFile(config.TLS_CERT_FILE, 'utf8'),
    readFile(config.TLS_KEY_FILE, 'utf8'),
    config.CLIENT_CA_FILE === undefined ? undefined : readFile(config.CLIENT_CA_FILE, 'utf8'),
  ]);
  return {
    port: config.METRICS_API_PORT,
    tls: { cert, key },
    ...(clientCa === undefined ? {} : { clientCa }),
  };
}
const identity = config.POD_NAME ?? `${hostname()}-${process.pid}`;

try {
  const metricsApi = await metricsApiOptions();
  const operator = await startOperator({
    ...(metricsApi === undefined ? {} : { metricsApi }),
    kubeConfig,
    logger,
    metrics,
    desired: {
      images: {
        ingest: config.INGEST_IMAGE,
        consumer: config.CONSUMER_IMAGE,
        archiver: config.ARCHIVER_IMAGE,
      },
      ...(config.ARCHIVE_PUSHGATEWAY_URL === undefined
        ? {}
        : { archivePushgatewayUrl: config.ARCHIVE_PUSHGATEWAY_URL }),
    },
    ...(config.WATCH_NAMESPACE === undefined ? {} : { namespace: config.WATCH_NAMESPACE }),
    workers: config.WORKERS,
    resyncMs: config.RESYNC_PERIOD,
    finalizerTimeoutMs: config.FINALIZER_TIMEOUT,
    ...(config.LEADER_ELECTION
      ? {
          leaderElection: {
            namespace: config.LEASE_NAMESPACE,
            name: config.LEASE_NAME,
            identity,
          },
        }
      : {}),
    onLostLeadership: () => {
      process.exitCode = 1;
      void lifecycle.shutdown('lost the leader lease');
    },
  });
  lifecycle.onShutdown('operator', () => operator.stop(), { phase: 'drain' });
  const health = await startHealthServer({
    port: config.METRICS_PORT,
    registry: metrics.registry,
    checks: operator.readinessChecks,
  });
  lifecycle.onShutdown('health', () => health.close());
  logger.info(
    {
      port: health.port,
      metricsApiPort: operator.metricsApiPort,
      identity,
      namespace: config.WATCH_NAMESPACE ?? '*',
    },
    'operator started',
  );
} catch (error) {
  logger.fatal({ err: error }, 'operator could not start');
  process.exitCode = 1;
  await lifecycle.shutdown('start-up failed');
}

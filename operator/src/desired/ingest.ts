import type { V1Deployment, V1PodDisruptionBudget, V1Service } from '@kubernetes/client-node';
import type { EventPipeline } from '../api/resource.ts';
import {
  fromSecret,
  httpProbe,
  kafkaBrokersEnv,
  literal,
  resourcesOf,
  sortedEnv,
} from './containers.ts';
import { childMetadata, labels, names, selectorLabels } from './names.ts';
import type { DesiredOptions } from './options.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from './pod-security.ts';
import { stable } from './stable.ts';

export const INGEST_PORT = 8080;
const API_KEYS_DIR = '/etc/event-pipeline/api-keys';
/** The Secret named by spec.ingest.apiKeysSecretRef holds one API key per line under this key. */
export const API_KEYS_SECRET_KEY = 'keys';

export function desiredIngestDeployment(
  pipeline: EventPipeline,
  opts: DesiredOptions,
): V1Deployment {
  const { ingest, dedup } = pipeline.spec;
  const env = sortedEnv([
    kafkaBrokersEnv(pipeline),
    literal('KAFKA_TOPIC', names.topic(pipeline)),
    literal('PIPELINE_NAME', pipeline.metadata.name),
    literal('PORT', INGEST_PORT),
    literal('API_KEYS_FILE', `${API_KEYS_DIR}/${API_KEYS_SECRET_KEY}`),
    literal('RATE_LIMIT_EVENTS_PER_SECOND', ingest.rateLimit.eventsPerSecond),
    literal('RATE_LIMIT_BURST', ingest.rateLimit.burst),
    literal('RATE_LIMIT_BY', ingest.rateLimit.by),
    literal('MAX_BODY_BYTES', ingest.limits.maxBodyBytes),
    literal('MAX_BATCH_EVENTS', ingest.limits.maxBatchEvents),
    literal('MAX_EVENT_BYTES', ingest.limits.maxEventBytes),
    literal('REDIS_KEY_PREFIX', `${pipeline.metadata.namespace}/${pipeline.metadata.name}:`),
    fromSecret('REDIS_URL', dedup.redis.urlSecretRef),
  ]);
  return stable({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(pipeline, names.ingest(pipeline), 'ingest'),
    spec: {
      replicas: ingest.replicas,
      selector: { matchLabels: selectorLabels(pipeline, 'ingest') },
      template: {
        metadata: { labels: labels(pipeline, 'ingest') },
        spec: {
          automountServiceAccountToken: false,
          containers: [
            {
              env,
              image: ingest.image ?? opts.images.ingest,
              livenessProbe: httpProbe('/livez', 'http', 10),
              name: 'ingest',
              ports: [{ containerPort: INGEST_PORT, name: 'http', protocol: 'TCP' }],
              readinessProbe: httpProbe('/readyz', 'http', 5),
              resources: resourcesOf(ingest.resources),
              securityContext: restrictedContainerSecurity,
              volumeMounts: [
                { mountPath: API_KEYS_DIR, name: 'api-keys', readOnly: true },
                { mountPath: '/tmp', name: 'tmp' },
              ],
            },
          ],
          securityContext: restrictedPodSecurity,
          terminationGracePeriodSeconds: 30,
          volumes: [
            {
              name: 'api-keys',
              secret: {
                items: [{ key: API_KEYS_SECRET_KEY, path: API_KEYS_SECRET_KEY }],
                secretName: ingest.apiKeysSecretRef.name,
              },
            },
            { emptyDir: {}, name: 'tmp' },
          ],
        },
      },
    },
  });
}

export function desiredIngestService(pipeline: EventPipeline): V1Service {
  return stable({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMetadata(pipeline, names.ingest(pipeline), 'ingest'),
    spec: {
      ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }],
      selector: selectorLabels(pipeline, 'ingest'),
      type: 'ClusterIP',
    },
  });
}

/** Only when there is more than one replica: a PDB on one replica would block node drains. */
export function desiredIngestPdb(pipeline: EventPipeline): V1PodDisruptionBudget | undefined {
  if (pipeline.spec.ingest.replicas <= 1) return undefined;
  return stable({
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: childMetadata(pipeline, names.ingest(pipeline), 'ingest'),
    spec: {
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(pipeline, 'ingest') },
    },
  });
}

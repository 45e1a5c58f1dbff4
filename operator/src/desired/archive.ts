import type { V1CronJob, V1PersistentVolumeClaim } from '@kubernetes/client-node';
import type { Resources } from '../api/eventpipeline-spec.ts';
import type { EventPipeline } from '../api/resource.ts';
import { fromSecret, literal, resourcesOf, sortedEnv } from './containers.ts';
import { childMetadata, labels, names } from './names.ts';
import type { DesiredOptions } from './options.ts';
import { restrictedContainerSecurity, restrictedPodSecurity } from './pod-security.ts';
import { stable } from './stable.ts';

export const ARCHIVE_MOUNT = '/var/lib/event-pipeline/archive';

/**
 * The archive job's default resources. Its peak RSS measured 472–511 MiB on days of 1 M events
 * (bench-archive, docs/archiver.md), so the 512Mi limit the services default to would leave it no
 * headroom: the job gets twice that as its limit.
 */
export const DEFAULT_ARCHIVE_RESOURCES = {
  requests: { cpu: '500m', memory: '512Mi' },
  limits: { memory: '1Gi' },
} as const satisfies Resources;

/**
 * Process settings of the archive job, also used by bench-archive so it measures the job as the
 * CronJob runs it. glibc's malloc keeps an arena per thread; with DuckDB's two converting threads
 * beside Node's, two arenas kept the job's peak RSS at 486-499 MiB instead of 510-533
 * (bench-archive, docs/archiver.md).
 */
export const ARCHIVE_JOB_TUNING: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

export function desiredArchiveCronJob(pipeline: EventPipeline, opts: DesiredOptions): V1CronJob {
  const { archive, storage } = pipeline.spec;
  const env = sortedEnv([
    fromSecret('DATABASE_URL', storage.postgres.urlSecretRef),
    literal('HOT_RETENTION', archive.hotRetention),
    literal('ARCHIVE_DIR', ARCHIVE_MOUNT),
    literal('PIPELINE_NAME', pipeline.metadata.name),
    literal('PIPELINE_NAMESPACE', pipeline.metadata.namespace),
    ...Object.entries(ARCHIVE_JOB_TUNING).map(([name, value]) => literal(name, value)),
    ...(opts.archivePushgatewayUrl === undefined
      ? []
      : [literal('PUSHGATEWAY_URL', opts.archivePushgatewayUrl)]),
  ]);
  return stable({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: childMetadata(pipeline, names.archive(pipeline), 'archiver'),
    spec: {
      concurrencyPolicy: 'Forbid',
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        metadata: { labels: labels(pipeline, 'archiver') },
        spec: {
          backoffLimit: 2,
          template: {
            metadata: { labels: labels(pipeline, 'archiver') },
            spec: {
              automountServiceAccountToken: false,
              containers: [
                {
                  env,
                  image: archive.image ?? opts.images.archiver,
                  name: 'archiver',
                  resources: resourcesOf(archive.resources, DEFAULT_ARCHIVE_RESOURCES),
                  securityContext: restrictedContainerSecurity,
                  volumeMounts: [
                    { mountPath: ARCHIVE_MOUNT, name: 'archive' },
                    { mountPath: '/tmp', name: 'tmp' },
                  ],
                },
              ],
              restartPolicy: 'OnFailure',
              securityContext: restrictedPodSecurity,
              volumes: [
                {
                  name: 'archive',
                  persistentVolumeClaim: { claimName: names.archiveClaim(pipeline) },
                },
                { emptyDir: {}, name: 'tmp' },
              ],
            },
          },
        },
      },
      schedule: archive.schedule,
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
    },
  });
}

/** A claim only when the spec asks for a new one (size); an existing claimName is the user's. */
export function desiredArchiveClaim(pipeline: EventPipeline): V1PersistentVolumeClaim | undefined {
  const { volume } = pipeline.spec.archive;
  if (volume.size === undefined) return undefined;
  return stable({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: childMetadata(pipeline, names.archiveClaim(pipeline), 'archiver'),
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: volume.size } },
      ...(volume.storageClassName === undefined
        ? {}
        : { storageClassName: volume.storageClassName }),
    },
  });
}

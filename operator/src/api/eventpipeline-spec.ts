import { z } from 'zod';

/**
 * The EventPipeline spec: the one source the operator validates with and the CRD's OpenAPI schema
 * is generated from (generate-crd.ts). Rules the API server can judge alone are written twice on
 * purpose, side by side: as a zod refinement (the operator's view) and as a CEL rule in
 * `x-kubernetes-validations` (admission). Defaults are applied by the API server from the schema.
 */

export const API_GROUP = 'eventpipeline.io';
export const API_VERSION = 'v1alpha1';
export const KIND = 'EventPipeline';
export const PLURAL = 'eventpipelines';

interface CelRule {
  rule: string;
  message: string;
  reason?: string;
  fieldPath?: string;
}
const cel = (...rules: CelRule[]) => ({ 'x-kubernetes-validations': rules });

const DURATION = /^[0-9]+(ms|s|m|h|d)$/;
const BYTE_SIZE = /^[0-9]+(B|KB|MB|GB|KiB|MiB|GiB)?$/;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;
/** Five cron fields, or one of the @-macros CronJob accepts. The same regex is the CEL rule. */
export const SCHEDULE_PATTERN =
  '^(@(yearly|annually|monthly|weekly|daily|hourly)|[^ \\t]+([ \\t]+[^ \\t]+){4})$';

const duration = (description: string) =>
  z
    .string()
    .max(32)
    .regex(DURATION, 'a duration such as 30s, 15m, 24h or 7d')
    .meta({ description });
const byteSize = (description: string) =>
  z.string().max(32).regex(BYTE_SIZE, 'a size such as 1MiB, 32KiB or 500000').meta({ description });
const quantity = z.string().max(32).regex(QUANTITY, 'a Kubernetes quantity such as 500m or 256Mi');

const secretName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
const secretKeyRef = z
  .object({
    name: secretName.meta({ description: 'Secret in the pipeline namespace.' }),
    key: z.string().min(1).max(253).meta({ description: 'Key inside the Secret.' }),
  })
  .meta({ description: 'A key of a Secret in the pipeline namespace.' });

const topicSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(200)
      .regex(TOPIC_NAME, 'letters, digits, ".", "_" and "-" only')
      .optional()
      .meta({ description: 'Topic name; defaults to <namespace>.<name>. Immutable.' }),
    partitions: z
      .int()
      .min(1)
      .max(1000)
      .default(12)
      .meta({
        description: 'Partition count; may only grow (Kafka cannot remove partitions).',
        ...cel({
          rule: 'self >= oldSelf',
          message: 'partitions may only grow: Kafka cannot remove partitions',
        }),
      }),
    replicationFactor: z.int().min(1).max(7).default(1),
    retention: duration('How long Kafka keeps events (retention.ms).').default('7d'),
    config: z
      .record(z.string().max(253), z.string().max(1024))
      .optional()
      .meta({ description: 'Extra topic configs, e.g. min.insync.replicas, cleanup.policy.' }),
  })
  .meta(
    cel({
      rule: 'has(self.name) == has(oldSelf.name) && (!has(self.name) || self.name == oldSelf.name)',
      message: 'topic name is immutable',
    }),
  );

const kafkaSchema = z
  .object({
    bootstrapServers: z
      .array(z.string().min(1).max(253))
      .min(1)
      .max(20)
      .optional()
      .meta({ description: 'host:port of the brokers. Either this or bootstrapServersSecretRef.' }),
    bootstrapServersSecretRef: secretKeyRef
      .optional()
      .meta({ description: 'A Secret key holding comma-separated host:port brokers.' }),
    topic: topicSchema.prefault({}),
    deadLetterTopic: z.object({ enabled: z.boolean().default(true) }).prefault({}),
    deletionPolicy: z
      .enum(['Retain', 'Delete'])
      .default('Retain')
      .meta({ description: 'Retain or Delete the topics when the pipeline is deleted.' }),
  })
  .refine(
    (k) => (k.bootstrapServers === undefined) !== (k.bootstrapServersSecretRef === undefined),
    {
      message: 'set exactly one of bootstrapServers and bootstrapServersSecretRef',
    },
  )
  .meta(
    cel({
      rule: 'has(self.bootstrapServers) != has(self.bootstrapServersSecretRef)',
      message: 'set exactly one of bootstrapServers and bootstrapServersSecretRef',
    }),
  );

const resourcesSchema = z
  .object({
    requests: z.object({ cpu: quantity.optional(), memory: quantity.optional() }).optional(),
    limits: z.object({ cpu: quantity.optional(), memory: quantity.optional() }).optional(),
  })
  .meta({ description: 'Container resources (quantities as strings, e.g. "500m", "256Mi").' });

const ingestSchema = z.object({
  replicas: z.int().min(0).max(100).default(2),
  image: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .meta({ description: 'Overrides the operator default.' }),
  apiKeysSecretRef: z
    .object({ name: secretName })
    .meta({ description: 'Secret whose keys are API key names and values the keys.' }),
  rateLimit: z
    .object({
      eventsPerSecond: z.int().min(1).max(10_000_000).default(1000),
      burst: z.int().min(1).max(10_000_000).default(2000),
      by: z.enum(['apiKey', 'ip']).default('apiKey'),
    })
    .prefault({}),
  limits: z
    .object({
      maxBodyBytes: byteSize('Largest request body.').default('1MiB'),
      maxBatchEvents: z.int().min(1).max(100_000).default(500),
      maxEventBytes: byteSize('Largest single event.').default('32KiB'),
    })
    .prefault({}),
  resources: resourcesSchema.optional(),
});

const consumersSchema = z
  .object({
    minReplicas: z.int().min(1).max(1000).default(1),
    maxReplicas: z.int().min(1).max(1000).default(12).meta({
      description: 'Upper bound; the HPA is further capped at the partition count.',
    }),
    lagThreshold: z
      .int()
      .min(1)
      .max(1_000_000_000)
      .default(1000)
      .meta({ description: 'Target consumer lag (messages) per replica.' }),
  })
  .refine((c) => c.minReplicas <= c.maxReplicas, {
    message: 'minReplicas must not exceed maxReplicas',
  })
  .meta(
    cel({
      // has(): the API server also checks the rule against the bare default `{}`.
      rule: '!has(self.minReplicas) || !has(self.maxReplicas) || self.minReplicas <= self.maxReplicas',
      message: 'minReplicas must not exceed maxReplicas',
    }),
  );

const dedupSchema = z.object({
  window: duration('How long a dedup key is remembered.').default('24h'),
  image: z.string().min(1).max(512).optional(),
  redis: z.object({ urlSecretRef: secretKeyRef }),
  consumers: consumersSchema.prefault({}),
  resources: resourcesSchema.optional(),
});

const volumeSchema = z
  .object({
    claimName: z
      .string()
      .min(1)
      .max(253)
      .regex(DNS_LABEL)
      .optional()
      .meta({ description: 'An existing PersistentVolumeClaim.' }),
    size: quantity.optional().meta({ description: 'Size of a PVC the operator creates.' }),
    storageClassName: z.string().min(1).max(253).optional(),
  })
  .refine((v) => (v.claimName === undefined) !== (v.size === undefined), {
    message: 'set exactly one of claimName and size',
  })
  .meta(
    cel(
      {
        rule: 'has(self.claimName) != has(self.size)',
        message: 'set exactly one of claimName and size',
      },
      {
        rule: '!has(self.storageClassName) || has(self.size)',
        message: 'storageClassName only applies with size (a new claim)',
      },
    ),
  );

const archiveSchema = z.object({
  schedule: z
    .string()
    .min(1)
    .max(128)
    // refine, not regex: the CEL rule below gives the API server's message, not a bare pattern.
    .refine(
      (text) => new RegExp(SCHEDULE_PATTERN).test(text),
      'five cron fields or @hourly, @daily, ...',
    )
    .default('15 * * * *')
    .meta({
      description: 'Cron schedule of the archive job.',
      ...cel({
        rule: `self.matches('${SCHEDULE_PATTERN.replaceAll('\\', '\\\\')}')`,
        message:
          'schedule must be five cron fields (minute hour day month weekday) or @hourly, @daily, ...',
      }),
    }),
  hotRetention: duration('How long events stay in PostgreSQL before archiving.').default('7d'),
  image: z.string().min(1).max(512).optional(),
  volume: volumeSchema,
  resources: resourcesSchema.optional(),
});

export const eventPipelineSpecSchema = z
  .object({
    kafka: kafkaSchema,
    ingest: ingestSchema,
    dedup: dedupSchema,
    storage: z.object({ postgres: z.object({ urlSecretRef: secretKeyRef }) }),
    archive: archiveSchema,
  })
  .meta({ description: 'What one event pipeline is made of.' });

export type EventPipelineSpec = z.output<typeof eventPipelineSpecSchema>;
export type EventPipelineSpecInput = z.input<typeof eventPipelineSpecSchema>;
export type SecretKeyRef = z.output<typeof secretKeyRef>;
export type Resources = z.output<typeof resourcesSchema>;

import { z } from 'zod';

export const CONDITION_TYPES = [
  'Ready',
  'TopicReady',
  'IngestReady',
  'ConsumersReady',
  'ArchiveReady',
] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

const conditionSchema = z.object({
  type: z.string().min(1).max(316),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(1024),
  message: z.string().max(32_768),
  lastTransitionTime: z.string(),
  observedGeneration: z.int().min(0).optional(),
});

export const eventPipelineStatusSchema = z.object({
  observedGeneration: z.int().min(0).optional(),
  conditions: z
    .array(conditionSchema)
    .max(16)
    .optional()
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
  topic: z
    .object({
      name: z.string(),
      partitions: z.int().min(0),
      deadLetterTopic: z.string().optional(),
    })
    .optional(),
  ingest: z.object({ endpoint: z.string(), readyReplicas: z.int().min(0) }).optional(),
  consumers: z.object({ replicas: z.int().min(0), lag: z.int().min(0).optional() }).optional(),
  archive: z
    .object({
      lastScheduleTime: z.string().optional(),
      lastSuccessfulTime: z.string().optional(),
    })
    .optional(),
});

export type Condition = z.output<typeof conditionSchema>;
export type EventPipelineStatus = z.output<typeof eventPipelineStatusSchema>;

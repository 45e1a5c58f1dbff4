import { z } from 'zod';
import { clientEventSchema } from '@event-pipeline/platform';
import { ERROR_STATUS } from './api-error.ts';
import type { Limits } from './config.ts';

const rejectedSchema = z.object({
  index: z.int().min(0),
  path: z.string().describe('Field path inside the event, e.g. "properties.cart[2].sku"'),
  reason: z.string(),
});

export const acceptedResponseSchema = z.object({
  accepted: z.int().min(0).describe('Events acknowledged by Kafka (acks=all)'),
  rejected: z.array(rejectedSchema),
  events: z.array(
    z.object({ index: z.int().min(0), ingestionId: z.string(), dedupKey: z.string() }),
  ),
});

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS]),
    message: z.string(),
    details: z.unknown(),
  }),
});

/** The OpenAPI 3.1 description of the API, with the schemas generated from the zod ones. */
export function openApiDocument(limits: Limits): Record<string, unknown> {
  const schema = (type: z.ZodType) =>
    z.toJSONSchema(type, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  const batchSchema = z.object({
    events: z.array(clientEventSchema).min(1).max(limits.maxBatchEvents),
  });
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  const responses = {
    '202': {
      description: 'Accepted: every event listed in `events` is acknowledged by Kafka',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Accepted' } } },
    },
    '400': error('Unparsable body, bad encoding, or (single event / whole batch) invalid events'),
    '401': error('Missing or unknown API key'),
    '409': error('A request with the same Idempotency-Key is still in progress'),
    '413': error(
      `Body over ${limits.maxBodyBytes} bytes (or decompressed over ${limits.maxDecompressedBytes}), or more than ${limits.maxBatchEvents} events`,
    ),
    '415': error('Content-Type is not application/json, or Content-Encoding is not gzip'),
    '422': error('Idempotency-Key reused with a different body'),
    '429': error('Rate limited: see Retry-After and RateLimit-* headers'),
    '503': error('Kafka unavailable or the producer buffer is full: retry after Retry-After'),
  };
  const parameters = [
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      schema: { type: 'string', maxLength: 255 },
    },
    {
      name: 'Content-Encoding',
      in: 'header',
      required: false,
      schema: { enum: ['gzip', 'identity'] },
    },
  ];
  return {
    openapi: '3.1.0',
    info: { title: 'event-pipeline ingest', version: '1.0.0' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        Event: schema(clientEventSchema),
        Batch: schema(batchSchema),
        Accepted: schema(acceptedResponseSchema),
        Error: schema(errorResponseSchema),
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      '/v1/events': {
        post: {
          summary: 'Send one event',
          parameters,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Event' } } },
          },
          responses,
        },
      },
      '/v1/batch': {
        post: {
          summary: 'Send a batch; invalid events are rejected one by one, valid ones accepted',
          parameters,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Batch' } } },
          },
          responses,
        },
      },
    },
  };
}

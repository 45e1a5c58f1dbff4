import { randomUUID } from 'node:crypto';
import express from 'express';
import type { Express, NextFunction, Request, Response } from 'express';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ProducerOverloadedError,
  createHealthHandlers,
  encodeEventMessage,
  enrichEvent,
  extractTraceContext,
  injectTraceHeaders,
} from '@event-pipeline/platform';
import type {
  EventMessage,
  EventProducer,
  HealthHandlers,
  HealthResponse,
  KafkaHeaders,
  Logger,
  Metrics,
} from '@event-pipeline/platform';
import { ApiError, sendError } from './api-error.ts';
import { presentedKey } from './api-keys.ts';
import type { ApiKeys } from './api-keys.ts';
import type { IngestConfig } from './config.ts';
import { hashBody } from './idempotency.ts';
import type { IdempotencyStore, StoredResponse } from './idempotency.ts';
import { createIngestMetrics } from './ingest-metrics.ts';
import type { IngestMetrics } from './ingest-metrics.ts';
import { openApiDocument } from './openapi.ts';
import type { RateDecision, RateLimiter } from './rate-limiter.ts';
import { checkContentType, decodeBody, parseJsonBody, readRawBody } from './request-body.ts';
import { batchEvents, validateEvents } from './validate-events.ts';
import type { RejectedEvent } from './validate-events.ts';

export interface IngestDeps {
  readonly producer: EventProducer;
  readonly limiter: RateLimiter;
  readonly idempotency: IdempotencyStore;
  readonly auth: ApiKeys;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly config: IngestConfig;
  /** Health handlers with the readiness checks; made here (producer connected) when omitted. */
  readonly health?: HealthHandlers;
  readonly now?: () => Date;
}

type Route = '/v1/events' | '/v1/batch';

interface Outcome {
  readonly status: number;
  readonly body: unknown;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const ISO_YEAR = /^\d{4}-/;

export function createIngestApp(deps: IngestDeps): Express {
  const { producer, limiter, idempotency, auth, config, metrics } = deps;
  const log = deps.logger.child({ component: 'ingest-http' });
  const now = deps.now ?? (() => new Date());
  const m: IngestMetrics = createIngestMetrics(metrics);
  const tracer = trace.getTracer('event-pipeline-ingest');
  const health =
    deps.health ??
    createHealthHandlers({
      registry: metrics.registry,
      checks: [
        {
          name: 'kafka-producer',
          check: () =>
            producer.connected()
              ? Promise.resolve()
              : Promise.reject(new Error('the producer is not connected')),
        },
      ],
    });
  const openapi = JSON.stringify(openApiDocument(config.limits));
  m.redisUp.set(limiter.redisUp() ? 1 : 0);

  const app = express();
  // Do not advertise the framework and its version to every client.
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', config.trustProxy);

  const sendHealth = (res: Response, response: HealthResponse) => {
    res.status(response.status).set(response.headers).send(response.body);
  };
  app.get('/livez', (_req, res) => {
    sendHealth(res, health.livez());
  });
  app.get('/readyz', async (_req, res) => {
    sendHealth(res, await health.readyz());
  });
  app.get('/metrics', async (_req, res) => {
    m.producerBuffered.set(producer.buffered());
    sendHealth(res, await health.metrics());
  });
  app.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openapi);
  });

  const accept = async (
    route: Route,
    body: Buffer,
    principal: string,
    ip: string,
    traceHeaders: KafkaHeaders,
    res: Response,
  ): Promise<Outcome> => {
    const parsed = parseJsonBody(body);
    const events = route === '/v1/events' ? [parsed] : batchEvents(parsed, config.limits);
    const { valid, rejected: invalid } = validateEvents(
      events,
      config.limits,
      route === '/v1/events' ? body.length : undefined,
    );
    const rejected: RejectedEvent[] = invalid.map(({ index, path, reason }) => ({
      index,
      path,
      reason,
    }));
    for (const { kind } of invalid) m.eventsRejected.inc({ reason: kind });

    const receipt = { receivedAt: now().toISOString(), pipeline: config.pipeline };
    const messages: EventMessage[] = [];
    const acceptedIds: { index: number; ingestionId: string; dedupKey: string }[] = [];
    for (const { index, event } of valid) {
      const stored = enrichEvent(event, { ...receipt, ingestionId: randomUUID() });
      if (stored.timestamp === undefined || !ISO_YEAR.test(stored.timestamp)) {
        rejected.push({
          index,
          path: 'timestamp',
          reason: 'timestamp corrected by sentAt falls outside years 0000-9999',
        });
        m.eventsRejected.inc({ reason: 'schema' });
        continue;
      }
      messages.push(encodeEventMessage(stored, traceHeaders));
      acceptedIds.push({ index, ingestionId: stored.ingestionId, dedupKey: stored.dedupKey });
    }
    rejected.sort((a, b) => a.index - b.index);
    if (messages.length === 0) {
      const single = route === '/v1/events';
      throw new ApiError(
        single ? 'invalid_event' : 'invalid_batch',
        single
          ? `the event is invalid: ${rejected[0]?.path === '' ? '' : `${rejected[0]?.path ?? ''}: `}${rejected[0]?.reason ?? ''}`
          : `no valid event in the batch (${rejected.length} rejected)`,
        { rejected },
      );
    }

    const decision = await limiter.take(
      config.rateLimitBy === 'apiKey' ? principal : `ip:${ip}`,
      messages.length,
    );
    m.redisUp.set(limiter.redisUp() ? 1 : 0);
    setRateLimitHeaders(res, decision);
    if (!decision.allowed) {
      m.eventsRejected.inc({ reason: 'rate_limited' }, messages.length);
      throw refusal(decision, messages.length, m);
    }

    try {
      await producer.send(messages);
    } catch (error) {
      m.eventsRejected.inc({ reason: 'kafka_unavailable' }, messages.length);
      if (error instanceof ProducerOverloadedError) {
        throw new ApiError(
          'overloaded',
          'ingest is at capacity; retry later',
          {},
          {
            'retry-after': '1',
          },
        );
      }
      throw new ApiError(
        'unavailable',
        'Kafka did not acknowledge the events; none of them is accepted, retry later',
        {},
        { 'retry-after': '2' },
      );
    }
    m.eventsAccepted.inc(messages.length);
    return { status: 202, body: { accepted: messages.length, rejected, events: acceptedIds } };
  };

  const handle = (route: Route) => async (req: Request, res: Response) => {
    const started = performance.now();
    m.inFlightRequests.inc();
    const parent = extractTraceContext(req.headers);
    const span = tracer.startSpan(`POST ${route}`, { kind: SpanKind.SERVER }, parent);
    const traceHeaders = injectTraceHeaders({}, trace.setSpan(parent, span));
    let status = 500;
    try {
      const key = presentedKey(req.headers.authorization, req.headers['x-api-key']);
      const principal = key === undefined ? undefined : auth.principalOf(key);
      if (principal === undefined) {
        throw new ApiError(
          'unauthorized',
          key === undefined
            ? 'send an API key as Authorization: Bearer <key> or X-API-Key'
            : 'the API key is not valid',
          {},
          { 'www-authenticate': 'Bearer' },
        );
      }
      checkContentType(req.headers['content-type']);
      const raw = await readRawBody(req, config.limits.maxBodyBytes);
      const body = await decodeBody(raw, req.headers['content-encoding'], config.limits);
      const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
      const idempotencyHeader = req.headers['idempotency-key'];
      const idempotencyKey = Array.isArray(idempotencyHeader)
        ? idempotencyHeader.join(',')
        : idempotencyHeader;
      if (idempotencyKey === undefined) {
        const outcome = await accept(route, body, principal, ip, traceHeaders, res);
        status = outcome.status;
        res.status(outcome.status).json(outcome.body);
        return;
      }
      if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new ApiError(
          'invalid_header',
          'Idempotency-Key must be 1 to 255 visible ASCII characters',
          { header: 'Idempotency-Key' },
        );
      }
      const hash = hashBody(route, body);
      const claim = await idempotency.claim(principal, idempotencyKey, hash);
      switch (claim.kind) {
        case 'replay':
          m.idempotentReplays.inc();
          status = claim.response.status;
          res.setHeader('idempotent-replayed', 'true');
          res.status(claim.response.status).json(claim.response.body);
          return;
        case 'conflict':
          throw new ApiError(
            'idempotency_key_reused',
            'this Idempotency-Key was used with a different body',
            { header: 'Idempotency-Key' },
          );
        case 'in-progress':
          throw new ApiError(
            'idempotency_in_progress',
            'a request with this Idempotency-Key is still being processed',
            {},
            { 'retry-after': '1' },
          );
        case 'unavailable': {
          m.idempotencyUnavailable.inc();
          log.warn({ err: claim.error }, 'idempotency store unreachable: serving without it');
          const outcome = await accept(route, body, principal, ip, traceHeaders, res);
          status = outcome.status;
          res.status(outcome.status).json(outcome.body);
          return;
        }
        case 'claimed':
          break;
      }
      let outcome: StoredResponse;
      try {
        outcome = await accept(route, body, principal, ip, traceHeaders, res);
      } catch (error) {
        if (error instanceof ApiError && isFinalFor(error.status)) {
          await remember(idempotency, log, principal, idempotencyKey, hash, {
            status: error.status,
            body: error.body(),
          });
        } else {
          await idempotency.release(principal, idempotencyKey).catch((releaseError: unknown) => {
            log.warn({ err: releaseError }, 'could not release an idempotency key');
          });
        }
        throw error;
      }
      await remember(idempotency, log, principal, idempotencyKey, hash, outcome);
      status = outcome.status;
      res.status(outcome.status).json(outcome.body);
    } catch (error) {
      const apiError = asApiError(error, log);
      status = apiError.status;
      if (!res.headersSent) sendError(res, apiError);
    } finally {
      m.inFlightRequests.dec();
      m.requests.inc({ route, status });
      m.requestDuration.observe({ route }, (performance.now() - started) / 1000);
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };

  for (const route of ['/v1/events', '/v1/batch'] as const) {
    app.post(route, handle(route));
    app.all(route, (_req, res) => {
      m.requests.inc({ route, status: 405 });
      res.setHeader('allow', 'POST');
      sendError(res, new ApiError('method_not_allowed', `${route} accepts POST only`));
    });
  }
  app.use((req, res) => {
    sendError(res, new ApiError('not_found', `no route ${req.method} ${req.path}`));
  });
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    sendError(res, asApiError(error, log));
  });
  return app;
}

/** Answers that depend only on the body, so a retry with the same key gets them again. */
function isFinalFor(status: number): boolean {
  return status === 400 || status === 413;
}

async function remember(
  store: IdempotencyStore,
  log: Logger,
  scope: string,
  key: string,
  hash: string,
  response: StoredResponse,
): Promise<void> {
  try {
    await store.complete(scope, key, hash, response);
  } catch (error) {
    log.warn({ err: error }, 'could not store the response for an idempotency key');
  }
}

function refusal(decision: RateDecision, events: number, m: IngestMetrics): ApiError {
  if (decision.source === 'unavailable') {
    return new ApiError(
      'unavailable',
      'the rate limiter is unavailable and ingest is configured to fail closed',
      {},
      { 'retry-after': '1' },
    );
  }
  m.rateLimited.inc({ source: decision.source });
  const never = !Number.isFinite(decision.retryAfterMs);
  return new ApiError(
    'rate_limited',
    never
      ? `a request of ${events} events exceeds the burst of ${decision.limit}; send smaller batches`
      : `rate limit exceeded; retry after ${Math.ceil(decision.retryAfterMs / 1000)}s`,
    { events, limit: decision.limit, remaining: decision.remaining },
    { 'retry-after': String(never ? 60 : Math.max(1, Math.ceil(decision.retryAfterMs / 1000))) },
  );
}

function setRateLimitHeaders(res: Response, decision: RateDecision): void {
  if (decision.source === 'unavailable') return;
  res.setHeader('ratelimit-limit', String(decision.limit));
  res.setHeader('ratelimit-remaining', String(Math.max(0, decision.remaining)));
  res.setHeader('ratelimit-reset', String(Math.ceil(decision.resetMs / 1000)));
}

function asApiError(error: unknown, log: Logger): ApiError {
  if (error instanceof ApiError) return error;
  const status = (error as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // Errors express itself raises for a broken request (a bad URI, an aborted body).
    return new ApiError('invalid_json', 'the request could not be read', {});
  }
  log.error({ err: error }, 'unexpected error while handling a request');
  return new ApiError('internal', 'internal error', {});
}

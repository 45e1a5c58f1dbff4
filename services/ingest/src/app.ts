import express from 'express';
import type { Express, NextFunction, Request, Response } from 'express';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  ProducerOverloadedError,
  createHealthHandlers,
  extractTraceContext,
  injectTraceHeaders,
} from '@event-pipeline/platform';
import type {
  EventProducer,
  HealthHandlers,
  HealthResponse,
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
import type { Route } from './prepare-events.ts';
import { createEventPreparer } from './prepare-pool.ts';
import type { EventPreparer } from './prepare-pool.ts';
import { checkContentType, decodeBody, readRawBody } from './request-body.ts';

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
  /** Parses, validates and encodes bodies; on the event loop when omitted. */
  readonly preparer?: EventPreparer;
}

interface Outcome {
  readonly status: number;
  /** The response body, serialized. */
  readonly json: string;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function createIngestApp(deps: IngestDeps): Express {
  const { producer, limiter, idempotency, auth, config, metrics } = deps;
  const log = deps.logger.child({ component: 'ingest-http' });
  const now = deps.now ?? (() => new Date());
  const m: IngestMetrics = createIngestMetrics(metrics);
  const preparer =
    deps.preparer ?? createEventPreparer({ pipeline: config.pipeline, limits: config.limits }, 0);
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
    traceHeaders: Readonly<Record<string, string>>,
    res: Response,
  ): Promise<Outcome> => {
    const prepared = await preparer.prepare({
      route,
      body,
      receivedAt: now().toISOString(),
      traceHeaders,
    });
    for (const [reason, count] of Object.entries(prepared.rejections)) {
      m.eventsRejected.inc({ reason }, count);
    }
    if (!prepared.ok) {
      const { code, message, details } = prepared.error;
      throw new ApiError(code, message, details);
    }
    const { messages } = prepared;

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
    return { status: 202, json: prepared.responseJson };
  };

  const handle = (route: Route) => async (req: Request, res: Response) => {
    const started = performance.now();
    m.inFlightRequests.inc();
    const parent = extractTraceContext(req.headers);
    const span = tracer.startSpan(`POST ${route}`, { kind: SpanKind.SERVER }, parent);
    // The propagator writes strings only.
    const traceHeaders = injectTraceHeaders({}, trace.setSpan(parent, span)) as Record<
      string,
      string
    >;
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
        sendJson(res, outcome);
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
          sendJson(res, outcome);
          return;
        }
        case 'claimed':
          break;
      }
      let outcome: Outcome;
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
      await remember(idempotency, log, principal, idempotencyKey, hash, {
        status: outcome.status,
        body: JSON.parse(outcome.json) as unknown,
      });
      status = outcome.status;
      sendJson(res, outcome);
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

function sendJson(res: Response, { status, json }: Outcome): void {
  res.status(status).type('application/json').send(json);
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

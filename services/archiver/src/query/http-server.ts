import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, Registry } from '@event-pipeline/platform';
import type { QueryService } from './query-service.ts';
import { QueryRejectedError, QueryTimeoutError } from './run-query.ts';

export interface QueryServer {
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface QueryServerOptions {
  readonly service: QueryService;
  readonly logger: Logger;
  readonly port: number;
  readonly host?: string;
  readonly maxBodyBytes?: number;
  /** Served on GET /metrics when given. */
  readonly metrics?: Registry;
}

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * GET /queries (the named queries), GET /queries/<name>?param=… (run one), POST /query with
 * {"sql": "..."} or GET /query?sql=… (ad-hoc, read-only), /livez, /readyz, /metrics. Errors are JSON
 * {"error": "..."}: 400 refused or bad SQL, 404 unknown path or query, 504 timeout.
 */
export function createQueryServer({
  service,
  logger,
  port,
  host = '0.0.0.0',
  maxBodyBytes = 64 * 1024,
  metrics,
}: QueryServerOptions): QueryServer {
  let server: Server | undefined;
  let boundPort = port;

  async function route(req: IncomingMessage): Promise<unknown> {
    const url = new URL(req.url ?? '/', 'http://archiver');
    const path = url.pathname;
    if (path === '/livez' || path === '/readyz') return { status: 'ok' };
    if (path === '/queries' && req.method === 'GET') return { queries: service.list() };
    if (path.startsWith('/queries/') && req.method === 'GET') {
      const name = decodeURIComponent(path.slice('/queries/'.length));
      if (!service.list().some((query) => query.name === name)) {
        throw new HttpError(404, `unknown named query "${name}"; GET /queries lists them`);
      }
      return service.named(name, Object.fromEntries(url.searchParams));
    }
    if (path === '/query') {
      if (req.method === 'GET') {
        const sql = url.searchParams.get('sql');
        if (sql === null) throw new HttpError(400, 'missing the sql query parameter');
        return service.sql(sql);
      }
      if (req.method === 'POST') return service.sql(await sqlFromBody(req, maxBodyBytes));
      throw new HttpError(405, 'use GET /query?sql=… or POST /query with {"sql": "…"}');
    }
    throw new HttpError(404, `no route ${req.method ?? ''} ${path}`);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (metrics !== undefined && req.url === '/metrics') {
      metrics.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(text);
        },
        () => {
          send(res, 500, { error: 'metrics unavailable' });
        },
      );
      return;
    }
    route(req).then(
      (body) => send(res, 200, body),
      (error: unknown) => {
        if (error instanceof HttpError) {
          send(res, error.status, { error: error.message });
          return;
        }
        if (error instanceof QueryRejectedError) {
          send(res, 400, { error: error.message });
          return;
        }
        if (error instanceof QueryTimeoutError) {
          send(res, 504, { error: error.message });
          return;
        }
        logger.error({ err: error }, 'query request failed');
        send(res, 500, { error: 'internal error; see the archiver logs' });
      },
    );
  }

  return {
    get port() {
      return boundPort;
    },
    async start() {
      const created = createServer(handle);
      server = created;
      await new Promise<void>((resolve, reject) => {
        created.once('error', reject);
        created.listen(port, host, () => {
          resolve();
        });
      });
      boundPort = (created.address() as AddressInfo).port;
      logger.info({ port: boundPort }, 'query endpoint listening');
    },
    async stop() {
      const current = server;
      if (current === undefined) return;
      server = undefined;
      await new Promise<void>((resolve) => {
        current.close(() => {
          resolve();
        });
        current.closeAllConnections();
      });
    },
  };
}

async function sqlFromBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes)
      throw new HttpError(413, `the request body is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'the body must be JSON: {"sql": "SELECT …"}');
  }
  if (
    typeof body !== 'object' ||
    body === null ||
    !('sql' in body) ||
    typeof body.sql !== 'string'
  ) {
    throw new HttpError(400, 'the body must be JSON with a string field "sql"');
  }
  return body.sql;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

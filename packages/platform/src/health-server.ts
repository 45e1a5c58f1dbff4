import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealthHandlers } from './health.ts';
import type { HealthHandlers, HealthHandlersOptions, HealthResponse } from './health.ts';

export interface HealthServerOptions extends HealthHandlersOptions {
  /** 0 picks a free port; the chosen one is returned. */
  readonly port: number;
  /** All interfaces when omitted (probes come from the kubelet over the pod IP). */
  readonly host?: string;
}

export interface HealthServer {
  readonly port: number;
  readonly handlers: HealthHandlers;
  readonly markNotReady: (reason: string) => void;
  readonly close: () => Promise<void>;
}

/** /livez, /readyz and /metrics on plain node:http, for processes without a web framework. */
export async function startHealthServer({
  port,
  host,
  ...handlerOptions
}: HealthServerOptions): Promise<HealthServer> {
  const handlers = createHealthHandlers(handlerOptions);
  const server = createServer((req, res) => {
    void respond(handlers, req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    handlers,
    markNotReady: handlers.markNotReady,
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
        server.closeAllConnections();
      })),
  };
}

async function respond(
  handlers: HealthHandlers,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let response: HealthResponse;
  const path = new URL(req.url ?? '/', 'http://health').pathname;
  const handler = handlers.route(path);
  if (handler === undefined) {
    response = plain(404, 'not found');
  } else if (req.method !== 'GET' && req.method !== 'HEAD') {
    const refused = plain(405, 'method not allowed');
    response = { ...refused, headers: { ...refused.headers, allow: 'GET, HEAD' } };
  } else {
    try {
      response = await handler();
    } catch {
      response = plain(500, 'internal error');
    }
  }
  res.writeHead(response.status, {
    ...response.headers,
    'content-length': Buffer.byteLength(response.body),
  });
  res.end(req.method === 'HEAD' ? undefined : response.body);
}

function plain(status: number, body: string): HealthResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { MetricSource } from './external-metrics.ts';
import { groupList, resourceList, route, status, valueList } from './external-metrics.ts';

export interface MetricsApiOptions {
  readonly port: number;
  readonly host?: string;
  /** PEM certificate and key the APIService's caBundle vouches for. */
  readonly tls: { readonly cert: string; readonly key: string };
  /**
   * PEM CA of the aggregator's front-proxy client certificates (requestheader-client-ca-file).
   * When set, only clients presenting a certificate it signed are served.
   */
  readonly clientCa?: string;
  readonly metrics: readonly string[];
  readonly source: MetricSource;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export interface MetricsApiServer {
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** external.metrics.k8s.io/v1beta1 over TLS, for the HPA controller behind the aggregator. */
export async function startMetricsApi(options: MetricsApiOptions): Promise<MetricsApiServer> {
  const { logger, source, metrics } = options;
  const now = options.now ?? (() => new Date());
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET') {
      send(res, 405, status(405, 'MethodNotAllowed', 'only GET is served'));
      return;
    }
    const target = route(new URL(req.url ?? '/', 'https://metrics'));
    switch (target.kind) {
      case 'group-list':
        send(res, 200, groupList());
        return;
      case 'resource-list':
        send(res, 200, resourceList(metrics));
        return;
      case 'bad-selector':
        send(res, 400, status(400, 'BadRequest', target.message));
        return;
      case 'not-found':
        send(res, 404, status(404, 'NotFound', 'not found'));
        return;
      case 'values': {
        if (!metrics.includes(target.metric)) {
          send(res, 404, status(404, 'NotFound', `metric ${target.metric} is not served`));
          return;
        }
        const values = await source(target.namespace, target.metric, target.selector);
        if (values === undefined) {
          send(
            res,
            404,
            status(404, 'NotFound', `no ${target.metric} for that selector in ${target.namespace}`),
          );
          return;
        }
        send(res, 200, valueList(target.metric, values, now()));
        return;
      }
    }
  };
  const server = createServer(
    {
      cert: options.tls.cert,
      key: options.tls.key,
      ...(options.clientCa === undefined
        ? {}
        : { ca: options.clientCa, requestCert: true, rejectUnauthorized: true }),
    },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        logger.warn({ err: error, url: req.url }, 'external metrics request failed');
        send(
          res,
          503,
          status(503, 'ServiceUnavailable', error instanceof Error ? error.message : 'unavailable'),
        );
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

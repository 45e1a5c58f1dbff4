import { readFile } from 'node:fs/promises';
import https from 'node:https';

export interface ApiClient {
  request: (
    method: string,
    path: string,
    body?: unknown,
  ) => Promise<{ status: number; body: string }>;
}

/** Just enough HTTPS to probe readiness and register the fake node; the real client is client-node. */
export async function apiClient(opts: {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
}): Promise<ApiClient> {
  const agent = new https.Agent({
    ca: await readFile(opts.caFile),
    cert: await readFile(opts.certFile),
    key: await readFile(opts.keyFile),
    keepAlive: false,
  });
  return {
    request: (method, path, body) =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = https.request(
          new URL(path, opts.server),
          {
            method,
            agent,
            timeout: 5000,
            headers:
              payload === undefined
                ? {}
                : {
                    'content-type': 'application/json',
                    'content-length': Buffer.byteLength(payload),
                  },
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
        req.on('error', reject);
        req.end(payload);
      }),
  };
}

/** GET on a local component's own self-signed health endpoint (controller-manager, scheduler, kwok). */
export function insecureHealth(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: 3000 }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new Error(`${url} answered ${String(res.statusCode)}`));
    });
    req.on('timeout', () => req.destroy(new Error(`${url} timed out`)));
    req.on('error', reject);
  });
}

import net from 'node:net';
import { StackError } from './errors.ts';

export const LOOPBACK = '127.0.0.1';

/** A port that was free on 127.0.0.1 a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: LOOPBACK, exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

/** Fails with a message naming the port when something already listens on it. */
export async function claimPort(component: string, wanted: number | undefined): Promise<number> {
  if (wanted === undefined) return freePort();
  if (!(await isPortFree(wanted))) {
    throw new StackError(
      component,
      `port ${wanted} on ${LOOPBACK} is already in use by another process`,
      `stop whatever listens there (ss -ltnp 'sport = :${wanted}') or choose another port`,
    );
  }
  return wanted;
}

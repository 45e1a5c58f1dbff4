import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { StackError } from './errors.ts';

export const LOOPBACK = '127.0.0.1';

/** The kernel's range for the local ports of outgoing connections (Linux's default if unknown). */
export function ephemeralRange(text: string | undefined): { low: number; high: number } {
  const [low, high] = (text ?? '').trim().split(/\s+/).map(Number);
  if (low === undefined || high === undefined || !(low > 1024 && high >= low && high < 65536)) {
    return { low: 32768, high: 60999 };
  }
  return { low, high };
}

const LOWEST = 10_000;

/**
 * A port to try: never a privileged one and never inside the ephemeral range; undefined when the
 * range leaves fewer than 1,000 ports below it. A port is chosen here and bound later by the
 * component's own process; an ephemeral port could meanwhile become the local end of some
 * outgoing connection (a Kafka client's, say) and that bind would fail with "Address already in
 * use". Ports below the range are only ever taken by listeners that ask for them.
 */
export function portCandidate(
  ephemeral: { low: number; high: number },
  random: number,
): number | undefined {
  const high = ephemeral.low - 1;
  if (high - LOWEST < 1_000) return undefined;
  return LOWEST + Math.floor(random * (high - LOWEST + 1));
}

let ephemeralRangeRead: Promise<{ low: number; high: number }> | undefined;
/** The range is read once per process; a stack start asks for a port per listener. */
export function thisMachinesEphemeralRange(): Promise<{ low: number; high: number }> {
  ephemeralRangeRead ??= readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').then(
    ephemeralRange,
    () => ephemeralRange(undefined),
  );
  return ephemeralRangeRead;
}

/** A port that was free on 127.0.0.1 a moment ago, outside the ephemeral range if it can be. */
export async function freePort(): Promise<number> {
  const range = await thisMachinesEphemeralRange();
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = portCandidate(range, Math.random());
    if (port === undefined) break;
    if (await isPortFree(port)) return port;
  }
  return osPickedPort();
}

/** A port the OS picked as free a moment ago (from the ephemeral range). */
function osPickedPort(): Promise<number> {
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

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ephemeralRange,
  freePort,
  isPortFree,
  portCandidate,
  thisMachinesEphemeralRange,
} from './ports.ts';

describe('ports', () => {
  it('reads the ephemeral range, and falls back to Linux’s default on anything else', () => {
    assert.deepEqual(ephemeralRange('32768\t60999\n'), { low: 32768, high: 60999 });
    assert.deepEqual(ephemeralRange('40000 50000'), { low: 40000, high: 50000 });
    for (const bad of [undefined, '', 'x y', '60999 32768', '0 100', '1024'])
      assert.deepEqual(ephemeralRange(bad), { low: 32768, high: 60999 });
  });

  it('picks candidates only between 10000 and the start of the ephemeral range', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 11_001, max: 65_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (low, random) => {
          const port = portCandidate({ low, high: 65_535 }, random);
          assert.ok(port !== undefined && port >= 10_000 && port < low, `${port} for ${low}`);
        },
      ),
    );
    assert.equal(portCandidate({ low: 10_500, high: 65_535 }, 0.5), undefined, 'no room below');
  });

  it('gives a port that is free, outside this machine’s ephemeral range', async () => {
    const fromProc = ephemeralRange(
      await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => undefined),
    );
    assert.deepEqual(await thisMachinesEphemeralRange(), fromProc);
    const { low } = fromProc;
    const port = await freePort();
    assert.ok(port >= 10_000 && port < low, `${port}, ephemeral from ${low}`);
    assert.equal(await isPortFree(port), true);
  });
});

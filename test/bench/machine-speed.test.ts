import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BATCH_BODY } from '../../bench/batch-body.ts';
import { machineSpeedLine, measureMachineSpeed, referenceWork } from '../../bench/machine-speed.ts';

describe('machine speed reference', () => {
  it('does the same work every time, and the result depends on the body', () => {
    assert.equal(referenceWork(), referenceWork());
    const other = JSON.stringify({ events: [{ type: 'other' }] });
    assert.notEqual(referenceWork(other), referenceWork(BATCH_BODY));
  });

  it('reports the median round, the best round and every round', () => {
    const speed = measureMachineSpeed({ rounds: 5, units: 3 });
    assert.equal(speed.roundsUs.length, 5);
    for (const us of speed.roundsUs) assert.ok(Number.isFinite(us) && us > 0, `${us} µs`);
    const sorted = speed.roundsUs.toSorted((a, b) => a - b);
    assert.equal(speed.bestUs, sorted[0]);
    assert.equal(speed.referenceUs, sorted[2]);
  });

  it('refuses rounds or units that are not positive integers', () => {
    assert.throws(() => measureMachineSpeed({ rounds: 0 }), RangeError);
    assert.throws(() => measureMachineSpeed({ units: 1.5 }), RangeError);
  });

  it('prints both readings and how much the end differs from the start', () => {
    const line = machineSpeedLine(
      { referenceUs: 200, bestUs: 180, roundsUs: [] },
      { referenceUs: 320, bestUs: 250, roundsUs: [] },
    );
    assert.match(
      line,
      /200 µs \(best round 180\) at the start, 320 µs \(best round 250\) at the end \(\+60 %\)/,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isoInstant } from './arbitraries.test-support.ts';
import { correctClockSkew } from './clock-skew.ts';

const ms = (iso: string) => Date.parse(iso);

describe('correctClockSkew', () => {
  it('moves the event by the client clock offset', () => {
    // The client clock runs 1h ahead: sent "11:00:05" arrived at 10:00:05 server time.
    assert.equal(
      correctClockSkew({
        timestamp: '2024-05-01T11:00:00.000Z',
        sentAt: '2024-05-01T11:00:05.000Z',
        receivedAt: '2024-05-01T10:00:05.250Z',
      }),
      '2024-05-01T10:00:00.250Z',
    );
  });

  it('keeps the gap between event and sending: result − receivedAt = timestamp − sentAt', () => {
    fc.assert(
      fc.property(isoInstant, isoInstant, isoInstant, (timestamp, sentAt, receivedAt) => {
        const corrected = correctClockSkew({ timestamp, sentAt, receivedAt });
        assert.equal(ms(corrected) - ms(receivedAt), ms(timestamp) - ms(sentAt));
      }),
    );
  });

  it('is receivedAt when the event was sent the moment it happened', () => {
    fc.assert(
      fc.property(isoInstant, isoInstant, (clientTime, receivedAt) => {
        assert.equal(
          correctClockSkew({ timestamp: clientTime, sentAt: clientTime, receivedAt }),
          receivedAt,
        );
      }),
    );
  });

  it('falls back to receivedAt without a timestamp, and to the timestamp without sentAt', () => {
    fc.assert(
      fc.property(isoInstant, isoInstant, (timestamp, receivedAt) => {
        assert.equal(correctClockSkew({ receivedAt, sentAt: timestamp }), receivedAt);
        assert.equal(correctClockSkew({ timestamp, receivedAt }), timestamp);
        assert.equal(correctClockSkew({ timestamp, sentAt: undefined, receivedAt }), timestamp);
      }),
    );
  });

  it('understands offsets and answers in UTC', () => {
    assert.equal(
      correctClockSkew({
        timestamp: '2024-05-01T12:00:00+02:00',
        receivedAt: '2024-05-01T10:00:01Z',
      }),
      '2024-05-01T10:00:00.000Z',
    );
  });

  it('refuses text that is not a date-time instead of answering "Invalid Date"', () => {
    assert.throws(
      () => correctClockSkew({ receivedAt: 'yesterday' }),
      /receivedAt is not a valid date-time/,
    );
    assert.throws(
      () => correctClockSkew({ timestamp: 'soon', receivedAt: '2024-05-01T10:00:00Z' }),
      /timestamp is not a valid date-time/,
    );
  });

  it('answers each receivedAt for itself, in UTC, when calls alternate between them', () => {
    // receivedAt's UTC form is remembered between calls; it must never answer for another one.
    const readings = ['2024-05-01T12:00:00+02:00', '2024-05-01T10:00:00.001Z', 'yesterday'];
    for (let round = 0; round < 2; round += 1) {
      assert.equal(correctClockSkew({ receivedAt: readings[0] ?? '' }), '2024-05-01T10:00:00.000Z');
      assert.equal(correctClockSkew({ receivedAt: readings[1] ?? '' }), '2024-05-01T10:00:00.001Z');
      assert.throws(() => correctClockSkew({ receivedAt: readings[2] ?? '' }), /receivedAt/);
    }
  });
});

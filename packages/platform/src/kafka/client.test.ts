import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logLevel } from 'kafkajs';
import { kafkajsLogLevel } from './client.ts';

describe('kafkajsLogLevel', () => {
  it('keeps kafkajs levels for ordinary entries', () => {
    assert.equal(
      kafkajsLogLevel(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded', 'x'),
      'error',
    );
    assert.equal(kafkajsLogLevel(logLevel.WARN, 'something else', undefined), 'warn');
    assert.equal(kafkajsLogLevel(logLevel.INFO, 'Starting', undefined), 'info');
    assert.equal(kafkajsLogLevel(logLevel.DEBUG, 'Request', undefined), 'debug');
  });

  it('makes retried start-up answers of a broker warnings, and nothing else', () => {
    const response = 'Response InitProducerId(key: 22, version: 1)';
    assert.equal(
      kafkajsLogLevel(
        logLevel.ERROR,
        response,
        "The coordinator is loading and hence can't process requests for this group",
      ),
      'warn',
    );
    assert.equal(
      kafkajsLogLevel(
        logLevel.ERROR,
        'Response GroupCoordinator(key: 10, version: 2)',
        'The group coordinator is not available',
      ),
      'warn',
    );
    assert.equal(
      kafkajsLogLevel(
        logLevel.ERROR,
        response,
        'Not authorized to access topics: [Topic authorization failed]',
      ),
      'error',
      'a broker refusing for good stays an error',
    );
  });

  it('reports the deliberate retry limit of an idempotent producer as information', () => {
    assert.equal(
      kafkajsLogLevel(
        logLevel.WARN,
        'Limiting retries for the idempotent producer may invalidate EoS guarantees',
        undefined,
      ),
      'info',
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kafkaComponentName, kafkaEnvName, newClusterId, serverProperties } from './kafka.ts';

const parse = (text: string) =>
  new Map(
    text
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );

describe('serverProperties', () => {
  it('configures one KRaft broker+controller on loopback only', () => {
    const props = parse(
      serverProperties({ brokerPort: 1000, controllerPort: 1001, logDir: '/d', line: '4' }),
    );
    assert.equal(props.get('process.roles'), 'broker,controller');
    assert.equal(props.get('controller.quorum.voters'), '1@127.0.0.1:1001');
    assert.equal(props.get('listeners'), 'PLAINTEXT://127.0.0.1:1000,CONTROLLER://127.0.0.1:1001');
    assert.equal(props.get('auto.create.topics.enable'), 'false');
    assert.equal(props.get('share.coordinator.state.topic.replication.factor'), '1');
  });

  it('leaves out share-group settings the 3.9 line does not know', () => {
    const props = parse(
      serverProperties({ brokerPort: 1, controllerPort: 2, logDir: '/d', line: '3.9' }),
    );
    assert.equal(props.has('share.coordinator.state.topic.replication.factor'), false);
  });
});

describe('names', () => {
  it('gives the default line the plain names and others a suffix', () => {
    assert.equal(kafkaComponentName('4'), 'kafka');
    assert.equal(kafkaEnvName('4'), 'KAFKA_BROKERS');
    assert.equal(kafkaComponentName('3.9'), 'kafka-3.9');
    assert.equal(kafkaEnvName('3.9'), 'KAFKA_3_9_BROKERS');
  });

  it('makes 22-character URL-safe cluster ids that never start with "-"', () => {
    const ids = Array.from({ length: 5000 }, newClusterId);
    for (const id of ids) assert.match(id, /^[\w][\w-]{21}$/);
    assert.equal(new Set(ids).size, ids.length);
  });
});

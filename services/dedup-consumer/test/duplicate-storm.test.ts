import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DEAD_LETTER_HEADERS,
  deadLetterTopic,
  encodeEventMessage,
  headerText,
} from '@event-pipeline/platform';
import { eventually } from '../../../test/support/kubernetes.ts';
import { uniqueName } from '../../../test/support/stack.ts';
import { startSharedStackConsumer } from './shared-stack-consumer.ts';
import type { SharedStackConsumer } from './shared-stack-consumer.ts';
import {
  clientEvent,
  duplicateStorm,
  exactlyOnceReport,
  shuffled,
  storedEvent,
} from './support.ts';

describe('dedup consumer on the shared stack', () => {
  let stack: SharedStackConsumer;
  let pipeline: string;
  let topic: string;
  let url: string;

  before(async () => {
    stack = await startSharedStackConsumer('storm');
    ({ pipeline, topic, url } = stack);
  });
  after(async () => {
    await stack.close();
  });

  const metricValue = async (name: string, labels: string) => {
    const text = await stack.metrics.registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(name) && l.includes(labels));
    return Number(line?.split(' ').at(-1) ?? 'NaN');
  };

  it('stores every event of a duplicate storm (30 % resent, some with a new sentAt) exactly once', async () => {
    const storm = duplicateStorm(pipeline, 4000, 0.3);
    const messages = shuffled(storm.messages);
    assert.ok(messages.length >= 5000, `${messages.length} messages`);
    for (let i = 0; i < messages.length; i += 700) {
      await stack.producer.send({ topic, acks: -1, messages: messages.slice(i, i + 700) });
    }
    await eventually(
      'every key stored',
      async () => {
        const report = await exactlyOnceReport(url, pipeline, storm.keys);
        return report.missing === 0 ? report : undefined;
      },
      90_000,
    );
    // Resend a third of the stored events later, as a client retrying after a timeout: the Redis
    // marks (written after commit) now catch them before PostgreSQL.
    const late = shuffled(storm.messages).slice(0, Math.floor(storm.keys.size / 3));
    await stack.producer.send({ topic, acks: -1, messages: late });
    await eventually('the late resends consumed', async () => {
      const lag = await stack.consumer.lag();
      return lag.total === 0 ? lag : undefined;
    });
    const report = await exactlyOnceReport(url, pipeline, storm.keys);
    assert.deepEqual(report, {
      rows: storm.keys.size,
      keys: storm.keys.size,
      missing: 0,
      unexpected: 0,
    });
    assert.ok(
      (await metricValue('eventpipeline_consumer_duplicates_total', 'detected_by="redis"')) > 0,
    );
    const duplicates = await metricValue(
      'eventpipeline_consumer_events_total',
      'outcome="duplicate"',
    );
    assert.equal(duplicates, messages.length + late.length - storm.keys.size);
  });

  it('dead-letters poison messages with reason and origin offsets, and stores the good messages after them', async () => {
    const before = storedEvent(pipeline, clientEvent(900_001, true));
    const after = storedEvent(pipeline, clientEvent(900_002, true));
    const schemaBroken = { ...storedEvent(pipeline, clientEvent(900_003, true)), type: 42 };
    const sent = await stack.producer.send({
      topic,
      acks: -1,
      messages: [
        { ...encodeEventMessage(before), partition: 1 },
        { partition: 1, key: 'poison', value: '{"not json', headers: { origin: 'test' } },
        { partition: 1, key: 'poison', value: JSON.stringify(schemaBroken) },
        { partition: 1, key: 'poison', value: null },
        { ...encodeEventMessage(after), partition: 1 },
      ],
    });
    const firstOffset = BigInt(sent[0]?.baseOffset ?? '0');

    const dlq = stack.kafka.consumer({ groupId: uniqueName('dlq-reader') });
    const letters: Record<
      'reason' | 'offset' | 'partition' | 'topic' | 'detail' | 'origin' | 'value',
      string | undefined
    >[] = [];
    await dlq.connect();
    try {
      await dlq.subscribe({ topic: deadLetterTopic(topic), fromBeginning: true });
      await dlq.run({
        eachMessage: ({ message }) => {
          letters.push({
            reason: headerText(message.headers, DEAD_LETTER_HEADERS.reason),
            detail: headerText(message.headers, DEAD_LETTER_HEADERS.detail),
            topic: headerText(message.headers, DEAD_LETTER_HEADERS.topic),
            partition: headerText(message.headers, DEAD_LETTER_HEADERS.partition),
            offset: headerText(message.headers, DEAD_LETTER_HEADERS.offset),
            origin: headerText(message.headers, 'origin'),
            value: message.value?.toString(),
          });
          return Promise.resolve();
        },
      });
      await eventually(
        'three dead letters',
        () => Promise.resolve(letters.length >= 3 ? letters : undefined),
        60_000,
      );
    } finally {
      await dlq.disconnect();
    }
    assert.deepEqual(
      letters.map((l) => [l.reason, l.topic, l.partition, l.offset]),
      [
        ['undecodable', topic, '1', String(firstOffset + 1n)],
        ['schema', topic, '1', String(firstOffset + 2n)],
        ['empty', topic, '1', String(firstOffset + 3n)],
      ],
    );
    assert.equal(letters[0]?.origin, 'test', 'original headers are kept');
    assert.equal(letters[0].value, '{"not json', 'the raw value is kept');
    assert.match(String(letters[1]?.detail), /type/);
    await eventually('the good messages around the poison stored', async () => {
      const report = await exactlyOnceReport(
        url,
        pipeline,
        new Set([before.dedupKey, after.dedupKey]),
      );
      return report.missing === 0 ? report : undefined;
    });
    await eventually('partition 1 fully committed', async () => {
      const lag = await stack.consumer.lag();
      return lag.partitions.find((p) => p.partition === 1)?.lag === 0 ? lag : undefined;
    });
  });

  it('serves /livez, /readyz (group joined, PostgreSQL reachable) and the lag metrics', async () => {
    const base = `http://127.0.0.1:${stack.consumer.port}`;
    assert.equal((await fetch(`${base}/livez`)).status, 200);
    const ready = await eventually('ready', async () => {
      const response = await fetch(`${base}/readyz`);
      return response.status === 200
        ? ((await response.json()) as { checks: { name: string }[] })
        : undefined;
    });
    assert.deepEqual(ready.checks.map((c) => c.name).sort(), ['kafka-group', 'postgres']);
    await stack.consumer.lag();
    const text = await (await fetch(`${base}/metrics`)).text();
    assert.match(
      text,
      new RegExp(`eventpipeline_consumer_lag\\{[^}]*topic="${topic}"[^}]*partition="0"`),
    );
    assert.match(text, /eventpipeline_consumer_lag_total\{/);
  });
  it('after a restart, catches late retries with the Redis marks (the filter is warmed from them), not in PostgreSQL', async () => {
    const events = Array.from({ length: 300 }, (_, i) =>
      storedEvent(pipeline, clientEvent(800_000 + i, i % 2 === 0)),
    );
    await stack.producer.send({
      topic,
      acks: -1,
      messages: events.map((e) => encodeEventMessage(e)),
    });
    await eventually('the 300 events stored', async () => {
      const report = await exactlyOnceReport(url, pipeline, new Set(events.map((e) => e.dedupKey)));
      return report.missing === 0 ? report : undefined;
    });
    // A new consumer in the group (a restart, a deploy): its filter starts empty.
    await stack.restart();
    await eventually('the filter warmed from the marks', async () => {
      const marks = await metricValue('eventpipeline_consumer_bloom_warm_marks', '');
      return marks >= events.length ? marks : undefined;
    });
    await stack.producer.send({
      topic,
      acks: -1,
      messages: events.map((e) => encodeEventMessage(e)),
    });
    await eventually('the retries consumed', async () => {
      const lag = await stack.consumer.lag();
      return lag.total === 0 ? lag : undefined;
    });
    assert.equal(
      await metricValue('eventpipeline_consumer_duplicates_total', 'detected_by="redis"'),
      events.length,
    );
    assert.equal(
      await metricValue('eventpipeline_consumer_duplicates_total', 'detected_by="postgres"'),
      0,
    );
    const report = await exactlyOnceReport(url, pipeline, new Set(events.map((e) => e.dedupKey)));
    assert.equal(report.missing, 0);
    assert.equal(report.rows, report.keys, 'no key stored twice');
  });
});

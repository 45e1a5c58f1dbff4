import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { KAFKAJS_VERSION } from './kafkajs-patch.ts';
import { installRecordEncoder } from './kafkajs-record-encoder.ts';

const require = createRequire(import.meta.url);
interface Produce {
  protocol(version: { version: number }): (args: Record<string, unknown>) => {
    request: { encode(): Promise<{ buffer: Buffer }> };
  };
}
const PRODUCE = 'kafkajs/src/protocol/requests/produce/index.js';

/** A produce request (v7, as kafkajs sends to Kafka 3.x and 4.x) of two partitions. */
async function produceRequestBytes(compression: number): Promise<Buffer> {
  const produce = require(PRODUCE) as Produce;
  const messages = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      key: `user-${i % 3}`,
      value: Buffer.from(JSON.stringify({ i, type: 'page_view' })),
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      timestamp: String(1_700_000_000_000 + i),
    }));
  const { request } = produce.protocol({ version: 7 })({
    acks: -1,
    timeout: 30_000,
    compression,
    producerId: 17,
    producerEpoch: 2,
    topicData: [
      {
        topic: 'events',
        partitions: [
          { partition: 0, firstSequence: 0, messages: messages(5) },
          { partition: 3, firstSequence: 120, messages: messages(40) },
        ],
      },
    ],
  });
  return (await request.encode()).buffer;
}

describe('installing the record encoder into kafkajs', () => {
  it('makes kafkajs’s produce requests use it, with the bytes unchanged', async () => {
    assert.equal((require('kafkajs/package.json') as { version: string }).version, KAFKAJS_VERSION);
    // Produce first, so the request modules are loaded with kafkajs's own encoder.
    const before = [await produceRequestBytes(0), await produceRequestBytes(1)];
    const originalRecord =
      require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as unknown;
    const v3 = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
    const v3Before = require.cache[v3];
    assert.ok(v3Before, 'the produce request module was loaded by the first produce');

    assert.deepEqual(installRecordEncoder(), { installed: true });
    assert.deepEqual(installRecordEncoder(), { installed: true }, 'a second call changes nothing');
    const record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as unknown;
    assert.notEqual(record, originalRecord, 'the record module is replaced');

    const after = [await produceRequestBytes(0), await produceRequestBytes(1)];
    const v3After = require.cache[v3];
    assert.ok(v3After && v3After !== v3Before, 'the produce request module was loaded again');
    assert.deepEqual(after, before);
  });
});

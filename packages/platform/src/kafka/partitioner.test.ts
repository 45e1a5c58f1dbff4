import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import type { PartitionMetadata } from 'kafkajs';
import { keyHashPartitioner, murmur2, partitionOfKey } from './partitioner.ts';

const { Partitioners } = kafkajs;
const metadata = (count: number, leaderless: readonly number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));

describe('key-hash partitioner', () => {
  it('computes Kafka’s murmur2 (the Java client’s check values)', () => {
    // Utils.murmur2 of these UTF-8 strings, from the Java client's UtilsTest.
    assert.equal(murmur2(Buffer.from('21')), -973932308);
    assert.equal(murmur2(Buffer.from('foobar')), -790332482);
    assert.equal(murmur2(Buffer.from('a-little-bit-long-string')), -985981536);
    assert.equal(murmur2(Buffer.from('a-little-bit-longer-string')), -1486304829);
    assert.equal(
      murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8')),
      -58897971,
    );
    assert.equal(murmur2(Buffer.from([0x61, 0x62, 0x63])), 479470107);
  });

  it('picks the partition kafkajs’s DefaultPartitioner picks, for any key and partition count', () => {
    const theirs = Partitioners.DefaultPartitioner();
    const ours = keyHashPartitioner();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.string({ unit: 'grapheme', maxLength: 20 }),
          fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
        ),
        fc.integer({ min: 1, max: 200 }),
        (key, partitions) => {
          const args = {
            topic: 't',
            partitionMetadata: metadata(partitions),
            message: { key, value: 'v' },
          };
          assert.equal(ours(args), theirs(args));
          if (typeof key === 'string') assert.equal(partitionOfKey(key, partitions), theirs(args));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('keeps an explicit partition, and spreads keyless messages over partitions with a leader', () => {
    const partitioner = keyHashPartitioner();
    const partitionMetadata = metadata(4, [2]);
    assert.equal(
      partitioner({
        topic: 't',
        partitionMetadata,
        message: { key: 'k', value: 'v', partition: 3 },
      }),
      3,
    );
    const seen = new Set<number>();
    for (let i = 0; i < 30; i += 1)
      seen.add(partitioner({ topic: 't', partitionMetadata, message: { value: 'v' } }));
    assert.deepEqual([...seen].sort(), [0, 1, 3]);
  });
});

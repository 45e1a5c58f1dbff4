import type { Redis } from 'ioredis';
import { sliceMsFor, sliceTtlMs, slicesToCheck } from './bloom-math.ts';
import { createSlicedBloom } from './sliced-bloom.ts';

/**
 * What the fast path knows of a key:
 * - 'absent': this consumer's Bloom filter has not seen it within the window, so it is not one of
 *   the keys this consumer stored: PostgreSQL decides (Redis is not asked);
 * - 'maybe': the filter may have seen it but no Redis mark says it is stored: ask PostgreSQL;
 * - 'stored': an exact Redis mark, written only after a PostgreSQL commit: certainly stored.
 * Only 'stored' lets a caller skip an event.
 */
export type KeyStatus = 'absent' | 'maybe' | 'stored';

export interface RedisDedup {
  probe(keys: readonly string[], nowMs: number): Promise<KeyStatus[]>;
  /** Call only after the keys' rows are committed in PostgreSQL. */
  recordStored(keys: readonly string[], nowMs: number): Promise<void>;
  /**
   * Adds every key the Redis marks hold (stored by any consumer of the pipeline) to this
   * consumer's filter, so that after a start or a rebalance the retries of keys stored elsewhere
   * are caught by the marks again instead of going to PostgreSQL. Stops filling a slice once
   * half its bits are set (a filter sized too small for the marks). Resolves to the marks read.
   */
  warm(nowMs: number): Promise<number>;
  /** The share of the Bloom filter's newest slice that is set (0–1), for sizing BLOOM_BITS. */
  bloomFillRatio(nowMs: number): number;
}

export interface RedisDedupOptions {
  readonly redis: Redis;
  /** Namespaces the keys, e.g. "ep:dedup:clickstream". */
  readonly prefix: string;
  readonly windowMs: number;
  readonly bloomBits?: number;
  readonly bloomHashes?: number;
}

/** A warm-up stops filling a slice's bitmap once this share of its bits is set. */
const WARM_MAX_FILL = 0.5;

/*
 * Layout, per time slice s (one window long):
 * - in Redis, <prefix>:m:<s>: the set of keys stored during s, the exact marks, shared by every
 *   consumer of the pipeline; it expires window + slice after its last write;
 * - in this process, a Bloom bitmap per slice of the keys it stored (sliced-bloom.ts).
 * Client retries carry the same message key, so they reach the partition, and the consumer, that
 * stored the first copy: its filter says "maybe" and one SMISMEMBER per slice settles it. A new
 * key costs no Redis command at all. After a start or a rebalance the filter is warmed from the
 * marks (SSCAN); until then, and for keys another consumer stores later, a key stored elsewhere is
 * "absent" here and goes to PostgreSQL, which drops it: slower, never wrong.
 */
export function createRedisDedup({
  redis,
  prefix,
  windowMs,
  bloomBits = 2 ** 23,
  bloomHashes = 4,
}: RedisDedupOptions): RedisDedup {
  const sliceMs = sliceMsFor(windowMs);
  const ttl = sliceTtlMs(windowMs, sliceMs);
  const bloom = createSlicedBloom({ bits: bloomBits, hashes: bloomHashes, windowMs });
  const marksKey = (slice: number) => `${prefix}:m:${slice}`;

  return {
    async probe(keys, nowMs) {
      const statuses: KeyStatus[] = bloom
        .mightContain(keys, nowMs)
        .map((maybe) => (maybe ? 'maybe' : 'absent'));
      const candidates = keys.filter((_, i) => statuses[i] === 'maybe');
      if (candidates.length === 0) return statuses;
      const pipeline = redis.pipeline();
      for (const slice of slicesToCheck(nowMs, windowMs, sliceMs)) {
        pipeline.smismember(marksKey(slice), ...candidates);
      }
      const marked = new Set<string>();
      for (const [error, members] of (await pipeline.exec()) ?? []) {
        if (error !== null) throw error;
        (members as number[]).forEach((isMember, i) => {
          if (isMember === 1) marked.add(candidates[i] ?? '');
        });
      }
      return keys.map((key, i) => (marked.has(key) ? 'stored' : (statuses[i] ?? 'maybe')));
    },

    async recordStored(keys, nowMs) {
      if (keys.length === 0) return;
      bloom.add(keys, nowMs);
      const marks = marksKey(Math.floor(nowMs / sliceMs));
      const replies = await redis
        .multi()
        .sadd(marks, ...keys)
        .pexpire(marks, ttl)
        .exec();
      const failed = replies?.find(([error]) => error !== null)?.[0];
      if (replies === null || failed !== undefined) {
        throw failed ?? new Error('the Redis transaction writing the marks was aborted');
      }
    },

    async warm(nowMs) {
      let read = 0;
      for (const slice of slicesToCheck(nowMs, windowMs, sliceMs)) {
        const at = slice * sliceMs;
        let cursor = '0';
        // Past half full, more keys would only raise the false-positive rate (6 % at k = 4).
        while (bloom.fillRatio(at) < WARM_MAX_FILL) {
          const [next, members] = await redis.sscan(marksKey(slice), cursor, 'COUNT', 5_000);
          bloom.add(members, at);
          read += members.length;
          cursor = next;
          if (cursor === '0') break;
        }
      }
      return read;
    },

    bloomFillRatio: (nowMs) => bloom.fillRatio(nowMs),
  };
}

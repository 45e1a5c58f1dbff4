import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { bloomPositions, sliceMsFor, sliceTtlMs, slicesToCheck } from './bloom-math.ts';

/**
 * What Redis knows of a key:
 * - 'absent': the Bloom filter has never seen it (so it has no mark either);
 * - 'maybe': the filter may have seen it but no mark says it is stored: ask PostgreSQL;
 * - 'stored': an exact mark, written only after a PostgreSQL commit: certainly stored.
 * Only 'stored' lets a caller skip an event.
 */
export type KeyStatus = 'absent' | 'maybe' | 'stored';

export interface RedisDedup {
  probe(keys: readonly string[], nowMs: number): Promise<KeyStatus[]>;
  /** Call only after the keys' rows are committed in PostgreSQL. */
  recordStored(keys: readonly string[], nowMs: number): Promise<void>;
}

export interface RedisDedupOptions {
  readonly redis: Redis;
  /** Namespaces the keys, e.g. "ep:dedup:clickstream". */
  readonly prefix: string;
  readonly windowMs: number;
  readonly bloomBits?: number;
  readonly bloomHashes?: number;
}

/*
 * Layout, per time slice s (one window long, expiring window + slice after its last write):
 * - <prefix>:b:<s>  a Bloom bitmap, k bits per key (SETBIT/GETBIT);
 * - <prefix>:m:<s>  the set of keys stored during s: the exact marks.
 * Each call is one Lua script (one round trip, atomic). The marks are only read for keys the
 * filter may have seen, so new keys cost k GETBITs per slice and no set lookup.
 */

// KEYS: n bloom slices then the n matching mark sets. ARGV: k, then per key: key, k positions.
// Returns per key 0 (absent), 1 (maybe), 2 (stored).
const PROBE = `
local k = tonumber(ARGV[1])
local n = #KEYS / 2
local out = {}
local i = 2
while i <= #ARGV do
  local status = 0
  for s = 1, n do
    local all = true
    for h = 1, k do
      if redis.call('GETBIT', KEYS[s], ARGV[i + h]) == 0 then all = false; break end
    end
    if all then
      status = 1
      if redis.call('SISMEMBER', KEYS[n + s], ARGV[i]) == 1 then status = 2; break end
    end
  end
  out[#out + 1] = status
  i = i + 1 + k
end
return out`;

// KEYS: the current bloom slice and mark set. ARGV: k, ttl ms, then per key: key, k positions.
const RECORD = `
local k = tonumber(ARGV[1])
local members = {}
local i = 3
while i <= #ARGV do
  for h = 1, k do redis.call('SETBIT', KEYS[1], ARGV[i + h], 1) end
  members[#members + 1] = ARGV[i]
  if #members == 500 then redis.call('SADD', KEYS[2], unpack(members)); members = {} end
  i = i + 1 + k
end
if #members > 0 then redis.call('SADD', KEYS[2], unpack(members)) end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1`;

const STATUS: readonly KeyStatus[] = ['absent', 'maybe', 'stored'];

export function createRedisDedup({
  redis,
  prefix,
  windowMs,
  bloomBits = 2 ** 23,
  bloomHashes = 4,
}: RedisDedupOptions): RedisDedup {
  const sliceMs = sliceMsFor(windowMs);
  const ttl = sliceTtlMs(windowMs, sliceMs);
  const shape = { bits: bloomBits, hashes: bloomHashes };
  const bloomKey = (slice: number) => `${prefix}:b:${slice}`;
  const marksKey = (slice: number) => `${prefix}:m:${slice}`;
  const argsFor = (keys: readonly string[]) =>
    keys.flatMap((key) => [key, ...bloomPositions(key, shape).map(String)]);

  return {
    async probe(keys, nowMs) {
      if (keys.length === 0) return [];
      const slices = slicesToCheck(nowMs, windowMs, sliceMs);
      const result = (await runScript(
        redis,
        PROBE,
        [...slices.map(bloomKey), ...slices.map(marksKey)],
        [String(bloomHashes), ...argsFor(keys)],
      )) as number[];
      return result.map((code) => STATUS[code] ?? 'maybe');
    },

    async recordStored(keys, nowMs) {
      if (keys.length === 0) return;
      const slice = Math.floor(nowMs / sliceMs);
      await runScript(
        redis,
        RECORD,
        [bloomKey(slice), marksKey(slice)],
        [String(bloomHashes), String(ttl), ...argsFor(keys)],
      );
    },
  };
}

const shas = new Map<string, string>();

/** EVALSHA, loading the script with EVAL the first time a server does not know it. */
async function runScript(
  redis: Redis,
  script: string,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  let sha = shas.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    shas.set(script, sha);
  }
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}

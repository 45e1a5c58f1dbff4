import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A stored answer: replayed for the same key and body. */
export interface StoredResponse {
  readonly status: number;
  readonly body: unknown;
}

export type IdempotencyClaim =
  | { readonly kind: 'claimed' }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'in-progress' }
  | { readonly kind: 'unavailable'; readonly error: unknown };

export interface IdempotencyStore {
  /** Claims the key for this body with an in-progress marker (SET NX), or says why not. */
  claim(scope: string, key: string, bodyHash: string): Promise<IdempotencyClaim>;
  /** Stores the final response for replay. */
  complete(scope: string, key: string, bodyHash: string, response: StoredResponse): Promise<void>;
  /** Drops the claim so the client may retry (the request failed without an answer to keep). */
  release(scope: string, key: string): Promise<void>;
}

interface Entry {
  readonly hash: string;
  readonly state: 'in-progress' | 'done';
  readonly response?: StoredResponse;
}

export interface IdempotencyOptions {
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly ttlMs: number;
  /** How long an in-progress marker lives if its request never finishes (crash). */
  readonly inProgressTtlMs?: number;
}

export function createIdempotencyStore({
  redis,
  keyPrefix,
  ttlMs,
  inProgressTtlMs = 60_000,
}: IdempotencyOptions): IdempotencyStore {
  const redisKey = (scope: string, key: string) =>
    `${keyPrefix}idempotency:${scope}:${createHash('sha256').update(key).digest('hex')}`;
  return {
    claim: async (scope, key, bodyHash) => {
      try {
        const marker: Entry = { hash: bodyHash, state: 'in-progress' };
        const set = await redis.set(
          redisKey(scope, key),
          JSON.stringify(marker),
          'PX',
          inProgressTtlMs,
          'NX',
        );
        if (set === 'OK') return { kind: 'claimed' };
        const raw = await redis.get(redisKey(scope, key));
        if (raw === null) return { kind: 'in-progress' };
        const entry = JSON.parse(raw) as Entry;
        if (entry.hash !== bodyHash) return { kind: 'conflict' };
        if (entry.state === 'done' && entry.response !== undefined) {
          return { kind: 'replay', response: entry.response };
        }
        return { kind: 'in-progress' };
      } catch (error) {
        return { kind: 'unavailable', error };
      }
    },
    complete: async (scope, key, bodyHash, response) => {
      const entry: Entry = { hash: bodyHash, state: 'done', response };
      await redis.set(redisKey(scope, key), JSON.stringify(entry), 'PX', ttlMs);
    },
    release: async (scope, key) => {
      await redis.del(redisKey(scope, key));
    },
  };
}

export function hashBody(route: string, body: Buffer): string {
  return createHash('sha256').update(route).update('\n').update(body).digest('hex');
}

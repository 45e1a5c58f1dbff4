export interface BucketState {
  readonly tokens: number;
  /** Milliseconds, the clock of whoever keeps the bucket. */
  readonly updatedAt: number;
}

export interface BucketDecision {
  readonly allowed: boolean;
  readonly state: BucketState;
  /** Whole tokens left after this decision. */
  readonly remaining: number;
  /** When the request could succeed; Infinity when the cost exceeds the burst. */
  readonly retryAfterMs: number;
  /** Until the bucket is full again. */
  readonly resetMs: number;
}

export interface BucketRule {
  /** Tokens (events) added per second. */
  readonly rate: number;
  /** Capacity: the most events accepted at once after a quiet period. */
  readonly burst: number;
}

/**
 * One token-bucket step, the same arithmetic as the Redis script: refill by elapsed time, then
 * take `cost` tokens if there are enough. A request is taken whole or not at all.
 */
export function takeTokens(
  previous: BucketState | undefined,
  cost: number,
  now: number,
  { rate, burst }: BucketRule,
): BucketDecision {
  const last = previous ?? { tokens: burst, updatedAt: now };
  const elapsed = Math.max(0, now - last.updatedAt);
  let tokens = Math.min(burst, last.tokens + (elapsed * rate) / 1000);
  const allowed = cost <= tokens;
  if (allowed) tokens -= cost;
  const retryAfterMs = allowed
    ? 0
    : cost > burst
      ? Number.POSITIVE_INFINITY
      : Math.ceil(((cost - tokens) * 1000) / rate);
  return {
    allowed,
    state: { tokens, updatedAt: now },
    remaining: Math.floor(tokens),
    retryAfterMs,
    resetMs: Math.ceil(((burst - tokens) * 1000) / rate),
  };
}

/**
 * The Redis version of takeTokens for many requests at once, atomic: one call decides every
 * request that arrived in one turn of the event loop, in arrival order, on Redis's own clock (so
 * replicas agree). KEYS: the distinct buckets. ARGV: rate, burst, then per request the index of its
 * bucket in KEYS (1-based) and its cost. Returns per request: allowed (1/0), whole tokens left,
 * retry ms (-1: never, the cost exceeds the burst) and ms until the bucket is full.
 */
export const TOKEN_BUCKETS_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local tokens = {}
for k = 1, #KEYS do
  local state = redis.call('HMGET', KEYS[k], 'tokens', 'at')
  local t = tonumber(state[1])
  local at = tonumber(state[2])
  if t == nil or at == nil then
    t = burst
    at = now
  end
  tokens[k] = math.min(burst, t + math.max(0, now - at) * rate / 1000)
end
local out = {}
for i = 3, #ARGV, 2 do
  local k = tonumber(ARGV[i])
  local cost = tonumber(ARGV[i + 1])
  local t = tokens[k]
  local allowed = 0
  if cost <= t then
    t = t - cost
    allowed = 1
  end
  tokens[k] = t
  local retry = 0
  if allowed == 0 then
    if cost > burst then
      retry = -1
    else
      retry = math.ceil((cost - t) * 1000 / rate)
    end
  end
  out[#out + 1] = allowed
  out[#out + 1] = math.floor(t)
  out[#out + 1] = retry
  out[#out + 1] = math.ceil((burst - t) * 1000 / rate)
end
local ttl = math.ceil(burst * 1000 / rate) + 1000
for k = 1, #KEYS do
  redis.call('HSET', KEYS[k], 'tokens', tostring(tokens[k]), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[k], ttl)
end
return out
`;

/** The KEYS and ARGV of one TOKEN_BUCKETS_LUA call for requests in arrival order. */
export function bucketsCall(
  requests: readonly { readonly key: string; readonly cost: number }[],
  { rate, burst }: BucketRule,
): { keys: string[]; args: string[] } {
  const index = new Map<string, number>();
  const args = [String(rate), String(burst)];
  for (const { key, cost } of requests) {
    let at = index.get(key);
    if (at === undefined) {
      at = index.size + 1;
      index.set(key, at);
    }
    args.push(String(at), String(cost));
  }
  return { keys: [...index.keys()], args };
}

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

/** The Redis version of takeTokens, atomic per key; Redis's own clock so replicas agree. */
export const TOKEN_BUCKET_LUA = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local allowed = 0
if cost <= tokens then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
local retry = 0
if allowed == 0 then
  if cost > burst then
    retry = -1
  else
    retry = math.ceil((cost - tokens) * 1000 / rate)
  end
end
return { allowed, math.floor(tokens), retry, math.ceil((burst - tokens) * 1000 / rate) }
`;

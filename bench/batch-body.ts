// The batch both ingest benchmarks send: bench-ingest posts it over HTTP, bench-event-path runs
// ingest's per-event work on it in process. One body, so their per-event numbers compare.
export const BATCH_SIZE = 100;

/** 100 page views from 17 users, as a POST /v1/batch body. */
export const BATCH_BODY = JSON.stringify({
  events: Array.from({ length: BATCH_SIZE }, (_, i) => ({
    type: 'page_view',
    userId: `user-${i % 17}`,
    properties: { path: `/page/${i}`, plan: 'pro' },
  })),
});

// A child program for crash.test.ts: one archive run, in process, whose first day fails right
// after its delete, while the next day (started once the first was verified) is still exporting. It must reject with that failure, leave
// both PostgreSQL clients usable, and then let the process exit by itself (nothing left running:
// the CronJob's pod would otherwise never finish). Exit 0 when all of that held, else 1.
import assert from 'node:assert/strict';
import { createLogger } from '@event-pipeline/platform';
import pg from 'pg';
import { runArchiveJob } from '../src/archive/archive-job.ts';

const { DATABASE_URL: url, ARCHIVE_DIR: archiveDir, PIPELINE_NAME: pipeline } = process.env;
if (url === undefined || archiveDir === undefined || pipeline === undefined) {
  throw new Error('DATABASE_URL, ARCHIVE_DIR and PIPELINE_NAME are required');
}
const client = new pg.Client({ connectionString: url });
const exportClient = new pg.Client({ connectionString: url });
await client.connect();
await exportClient.connect();
try {
  await assert.rejects(
    runArchiveJob({
      pg: client,
      exportPg: exportClient,
      pipeline,
      archiveDir,
      retentionMs: 2 * 86_400_000,
      now: () => new Date(),
      logger: createLogger({ name: 'fail-mid-run', destination: { write: () => undefined } }),
      reached: (point) => {
        if (point === 'after-delete') throw new Error('injected failure after the first delete');
      },
    }),
    /injected failure after the first delete/,
  );
  for (const c of [client, exportClient]) {
    assert.deepEqual((await c.query('SELECT 1 AS one')).rows, [{ one: 1 }]);
  }
  process.stdout.write('rejected with the injected failure; both clients answer\n');
} catch (error) {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  await Promise.allSettled([client.end(), exportClient.end()]);
}

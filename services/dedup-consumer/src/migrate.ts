// `node services/dedup-consumer/src/migrate.ts`: applies the schema and creates the day partitions.
// The consumer also migrates at start-up; this command is for doing it ahead (a Job, a deploy step).
import { z } from 'zod';
import { createLogger, env, parseConfig } from '@event-pipeline/platform';
import { createDatabase } from './storage/database.ts';
import { runMigrations } from './storage/run-migrations.ts';

const config = parseConfig(
  z.object({ DATABASE_URL: z.string().min(1), DEDUP_WINDOW: env.duration().prefault('24h') }),
);
const logger = createLogger({ name: 'dedup-migrate' });
const db = createDatabase({ connectionString: config.DATABASE_URL, maxConnections: 2 });
try {
  const report = await runMigrations(db, { now: new Date(), windowMs: config.DEDUP_WINDOW });
  logger.info(report, 'schema is up to date');
} catch (error) {
  logger.fatal({ err: error }, 'migration failed');
  process.exitCode = 1;
} finally {
  await db.destroy();
}

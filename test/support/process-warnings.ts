// Loaded into every test process (`node --import`, see the Makefile; the runner's own process
// imports it in test/global-setup.ts) and imported by the benchmarks in bench/. Tests and
// benchmarks make their own kafkajs clients, so Node's warnings are routed the way the services
// route them: without the known harmless kafkajs one, and every other warning still on stderr.
import { logProcessWarnings } from '@event-pipeline/platform/process-warnings';

logProcessWarnings({
  warn: (fields, message) => process.stderr.write(`${message} ${JSON.stringify(fields)}\n`),
});

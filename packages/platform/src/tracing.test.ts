import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { trace } from '@opentelemetry/api';
import { planTelemetry, startTracing } from './tracing.ts';

const run = promisify(execFile);

describe('planTelemetry', () => {
  it('exports nothing when no OTEL_* variable is set', () => {
    assert.deepEqual(planTelemetry({}, 'ingest'), {
      disabled: false,
      traces: false,
      metrics: false,
      logs: false,
      serviceName: 'ingest',
    });
  });

  it('exports traces when an exporter or an OTLP endpoint is configured', () => {
    assert.equal(planTelemetry({ OTEL_TRACES_EXPORTER: 'otlp' }, 's').traces, true);
    assert.equal(planTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 's').traces, true);
    assert.equal(
      planTelemetry({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }, 's').traces,
      true,
    );
    assert.equal(planTelemetry({ OTEL_TRACES_EXPORTER: ' ' }, 's').traces, false);
  });

  it('exports metrics and logs only when their exporter is named', () => {
    const plan = planTelemetry({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }, 's');
    assert.equal(plan.metrics, false);
    assert.equal(plan.logs, false);
    assert.equal(planTelemetry({ OTEL_METRICS_EXPORTER: 'otlp' }, 's').metrics, true);
    assert.equal(planTelemetry({ OTEL_LOGS_EXPORTER: 'console' }, 's').logs, true);
  });

  it('lets OTEL_SERVICE_NAME and OTEL_SDK_DISABLED win', () => {
    assert.equal(planTelemetry({ OTEL_SERVICE_NAME: 'custom' }, 'ingest').serviceName, undefined);
    assert.equal(planTelemetry({ OTEL_SDK_DISABLED: 'TRUE' }, 'ingest').disabled, true);
  });
});

describe('startTracing', () => {
  it('registers no span exporter when nothing is configured', async () => {
    const tracing = await startTracing({ serviceName: 'test', env: {} });
    try {
      const span = trace.getTracer('test').startSpan('work');
      assert.equal(span.isRecording(), false);
      span.end();
    } finally {
      await tracing.shutdown();
      await tracing.shutdown();
    }
  });

  it('records spans when OTEL_TRACES_EXPORTER configures an exporter', async () => {
    const script = `
      import { trace } from '@opentelemetry/api';
      import { startTracing } from './tracing.ts';
      const tracing = await startTracing({ serviceName: 'probe' });
      process.stdout.write(String(trace.getTracer('probe').startSpan('work').isRecording()));
      await tracing.shutdown();
    `;
    const probe = async (extra: Record<string, string>) => {
      const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', script], {
        cwd: import.meta.dirname,
        env: { PATH: process.env.PATH ?? '', ...extra },
      });
      return stdout;
    };
    assert.equal(await probe({ OTEL_TRACES_EXPORTER: 'console' }), 'true');
    assert.equal(
      await probe({ OTEL_TRACES_EXPORTER: 'console', OTEL_SDK_DISABLED: 'true' }),
      'false',
    );
  });
});

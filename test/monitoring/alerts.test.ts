import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { setting } from '../support/stack.ts';
import type { KubeObject } from '../chart/chart.ts';
import { only, renderChart } from './support/chart.ts';

const exec = promisify(execFile);
const FIXTURES = path.join(import.meta.dirname, 'fixtures');
const RULE_TEMPLATE = 'templates/monitoring/prometheusrule.yaml';

interface Rule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}
interface Group {
  readonly name: string;
  readonly rules: readonly Rule[];
}
interface AlertTest {
  readonly alertname: string;
  readonly exp_alerts?: readonly unknown[];
}
interface UnitTestFile {
  readonly rule_files: readonly string[];
  readonly tests: readonly { readonly alert_rule_test?: readonly AlertTest[] }[];
}

/** The PrometheusRule's groups as the chart renders them with `values`. */
async function renderedGroups(values: Record<string, string | number> = {}): Promise<Group[]> {
  const manifests = await renderChart(
    { 'monitoring.prometheusRule.enabled': true, ...values },
    { showOnly: [RULE_TEMPLATE] },
  );
  const [rule] = only(manifests, 'PrometheusRule');
  assert.ok(rule, 'the chart renders a PrometheusRule when monitoring.prometheusRule.enabled');
  return (rule as KubeObject & { spec: { groups: Group[] } }).spec.groups;
}

const rulesOf = (groups: readonly Group[]) => groups.flatMap((g) => g.rules);
const ruleNamed = (groups: readonly Group[], alert: string): Rule => {
  const rule = rulesOf(groups).find((r) => r.alert === alert);
  assert.ok(rule, `no alert ${alert}`);
  return rule;
};

describe('the PrometheusRule the chart ships', () => {
  let dir = '';
  let groups: Group[] = [];
  let fixtures: string[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'alert-tests-'));
    groups = await renderedGroups();
    await writeFile(path.join(dir, 'rules.yaml'), stringify({ groups }));
    fixtures = (await readdir(FIXTURES)).filter((f) => f.endsWith('.yaml')).sort();
    for (const file of fixtures) await copyFile(path.join(FIXTURES, file), path.join(dir, file));
  });
  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('is only rendered when monitoring.prometheusRule.enabled', async () => {
    assert.deepEqual(only(await renderChart(), 'PrometheusRule'), []);
  });

  it('passes promtool check rules', async () => {
    const { stdout } = await exec(await setting('PROMTOOL'), [
      'check',
      'rules',
      path.join(dir, 'rules.yaml'),
    ]);
    assert.match(stdout, new RegExp(`SUCCESS: ${rulesOf(groups).length} rules found`));
  });

  it('passes promtool test rules: every alert fires when it should and stays quiet otherwise', async () => {
    assert.ok(fixtures.length > 0, `no unit tests in ${FIXTURES}`);
    const run = exec(await setting('PROMTOOL'), ['test', 'rules', ...fixtures], { cwd: dir });
    await run.catch((error: unknown) => {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      assert.fail(`promtool test rules failed:\n${stdout}${stderr}`);
    });
  });

  it('has, for every alert, a unit test where it fires and one where it stays quiet', async () => {
    const firing = new Set<string>();
    const quiet = new Set<string>();
    for (const file of fixtures) {
      const tests = parse(await readFile(path.join(FIXTURES, file), 'utf8')) as UnitTestFile;
      assert.deepEqual(tests.rule_files, ['rules.yaml'], `${file} tests the rendered rules`);
      for (const test of tests.tests) {
        for (const { alertname, exp_alerts: expected = [] } of test.alert_rule_test ?? []) {
          (expected.length > 0 ? firing : quiet).add(alertname);
        }
      }
    }
    const alerts = rulesOf(groups).map((r) => r.alert);
    assert.ok(alerts.length >= 9);
    for (const alert of alerts) {
      assert.ok(firing.has(alert), `${alert} has no test in which it fires`);
      assert.ok(quiet.has(alert), `${alert} has no test in which it stays quiet`);
    }
    for (const name of [...firing, ...quiet]) {
      assert.ok(alerts.includes(name), `a unit test names ${name}, which the chart does not ship`);
    }
  });

  it('covers lag, stalls, dead letters, ingest errors and rate limits, archive and operator', () => {
    assert.deepEqual(
      rulesOf(groups)
        .map((r) => r.alert)
        .sort(),
      [
        'EventPipelineArchiveFailed',
        'EventPipelineArchiveStale',
        'EventPipelineConsumerLagHigh',
        'EventPipelineConsumerLagSecondsHigh',
        'EventPipelineConsumerStalled',
        'EventPipelineDeadLettersGrowing',
        'EventPipelineIngestErrors',
        'EventPipelineIngestRateLimited',
        'EventPipelineOperatorReconcileErrors',
      ],
    );
  });

  it('gives every alert a severity, a summary and a description, and keeps pipeline in its labels', () => {
    for (const rule of rulesOf(groups)) {
      assert.match(rule.labels.severity ?? '', /^(info|warning|critical)$/, rule.alert);
      assert.ok((rule.annotations.summary ?? '').length > 0, `${rule.alert} summary`);
      assert.ok((rule.annotations.description ?? '').length > 40, `${rule.alert} description`);
      assert.equal(rule.annotations.runbook_url, undefined, 'no runbook_url without runbookUrl');
      // The operator serves every pipeline and its series have no pipeline label.
      if (!rule.alert.startsWith('EventPipelineOperator')) {
        assert.match(rule.expr, /by \(namespace, pipeline[,)]/, `${rule.alert} keeps pipeline`);
      }
    }
  });

  it('links every alert to its runbook section when monitoring.prometheusRule.runbookUrl is set', async () => {
    const linked = await renderedGroups({
      'monitoring.prometheusRule.runbookUrl': 'https://runbooks.example/event-pipeline.md',
      'monitoring.prometheusRule.additionalAlertLabels.team': 'data',
    });
    for (const rule of rulesOf(linked)) {
      assert.equal(
        rule.annotations.runbook_url,
        `https://runbooks.example/event-pipeline.md#${rule.alert.toLowerCase()}`,
      );
      assert.equal(rule.labels.team, 'data');
    }
  });

  it('takes thresholds, windows, for durations and severities from values', async () => {
    const a = 'monitoring.prometheusRule.alerts';
    const tuned = await renderedGroups({
      [`${a}.consumerLag.messages`]: 2500,
      [`${a}.consumerLag.for`]: '3m',
      [`${a}.consumerLag.severity`]: 'critical',
      [`${a}.consumerLagSeconds.seconds`]: 45,
      [`${a}.consumerLagSeconds.rateWindow`]: '7m',
      [`${a}.consumerStalled.window`]: '17m',
      [`${a}.consumerStalled.for`]: '2m',
      [`${a}.deadLetters.messages`]: 12,
      [`${a}.deadLetters.window`]: '1h',
      [`${a}.ingestErrors.ratio`]: 0.25,
      [`${a}.ingestErrors.window`]: '11m',
      [`${a}.ingestRateLimited.ratio`]: 0.5,
      [`${a}.ingestRateLimited.for`]: '1h',
      [`${a}.archiveFailed.for`]: '30m',
      [`${a}.archiveStale.maxAgeSeconds`]: 90000,
      [`${a}.operatorReconcileErrors.errors`]: 4,
      [`${a}.operatorReconcileErrors.window`]: '30m',
    });
    const lag = ruleNamed(tuned, 'EventPipelineConsumerLagHigh');
    assert.match(lag.expr, /> 2500$/);
    assert.equal(lag.for, '3m');
    assert.equal(lag.labels.severity, 'critical');
    assert.match(lag.annotations.description ?? '', /threshold 2500, for 3m/);
    const seconds = ruleNamed(tuned, 'EventPipelineConsumerLagSecondsHigh');
    assert.match(seconds.expr, /\[7m\].*\n> 45$/s);
    const stalled = ruleNamed(tuned, 'EventPipelineConsumerStalled');
    assert.match(stalled.expr, /\[17m\]/);
    assert.equal(stalled.for, '2m');
    assert.match(ruleNamed(tuned, 'EventPipelineDeadLettersGrowing').expr, /\[1h\]\)\) > 12$/);
    const errors = ruleNamed(tuned, 'EventPipelineIngestErrors');
    assert.match(errors.expr, /\[11m\].*\[11m\].*> 0\.25$/s);
    const limited = ruleNamed(tuned, 'EventPipelineIngestRateLimited');
    assert.match(limited.expr, /> 0\.5$/);
    assert.equal(limited.for, '1h');
    assert.equal(ruleNamed(tuned, 'EventPipelineArchiveFailed').for, '30m');
    assert.match(ruleNamed(tuned, 'EventPipelineArchiveStale').expr, /> 90000$/);
    assert.match(ruleNamed(tuned, 'EventPipelineOperatorReconcileErrors').expr, /\[30m\]\)\) > 4$/);
  });

  it('refuses a severity or a ratio the schema does not allow', async () => {
    const a = 'monitoring.prometheusRule.alerts';
    await assert.rejects(renderedGroups({ [`${a}.ingestErrors.ratio`]: 5 }), /ratio/);
    await assert.rejects(renderedGroups({ [`${a}.consumerLag.severity`]: 'page' }), /severity/);
    await assert.rejects(renderedGroups({ [`${a}.consumerLag.threshold`]: 1 }), /threshold/);
  });
});

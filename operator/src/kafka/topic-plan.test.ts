import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNoop, planTopic, topicConflict } from './topic-plan.ts';

const desired = {
  name: 't',
  partitions: 6,
  replicationFactor: 1,
  config: { 'retention.ms': '1000', 'cleanup.policy': 'delete' },
};

describe('planTopic', () => {
  it('creates a missing topic', () => {
    assert.deepEqual(planTopic(desired, undefined), { kind: 'create' });
  });
  it('grows partitions and alters only differing config', () => {
    const plan = planTopic(desired, {
      partitions: 3,
      config: { 'retention.ms': '5', 'cleanup.policy': 'delete' },
    });
    assert.deepEqual(plan, { kind: 'update', growTo: 6, alterConfig: desired.config });
  });
  it('does nothing when everything matches', () => {
    assert.ok(isNoop(planTopic(desired, { partitions: 6, config: { ...desired.config } })));
  });
  it('refuses a decrease with NotSupported', () => {
    const plan = planTopic(desired, { partitions: 12, config: desired.config });
    assert.equal(plan.kind, 'refuse');
    assert.equal(plan.reason, 'NotSupported');
  });
});

describe('topicConflict', () => {
  const claim = (name: string, created: number, topics: string[]) => ({
    uid: name,
    namespace: 'ns',
    name,
    creationTimestamp: created,
    topics,
  });
  it('gives the topic to the older claimant', () => {
    const older = claim('a', 1, ['x']);
    const younger = claim('b', 2, ['x', 'x.dlq']);
    assert.equal(topicConflict(younger, [older, younger])?.name, 'a');
    assert.equal(topicConflict(older, [older, younger]), undefined);
  });
  it('breaks creation-time ties by name and ignores unrelated topics', () => {
    assert.equal(topicConflict(claim('b', 1, ['x']), [claim('a', 1, ['x'])])?.name, 'a');
    assert.equal(topicConflict(claim('b', 1, ['y']), [claim('a', 0, ['x'])]), undefined);
  });
});

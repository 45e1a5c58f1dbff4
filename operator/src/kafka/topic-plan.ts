import type { TopicSpec } from '../desired/topics.ts';

export interface ExistingTopic {
  readonly partitions: number;
  /** Current values of the config keys the spec sets. */
  readonly config: Readonly<Record<string, string | undefined>>;
}

export type TopicPlan =
  | { readonly kind: 'create' }
  | { readonly kind: 'refuse'; readonly reason: 'NotSupported'; readonly message: string }
  | {
      readonly kind: 'update';
      /** New total partition count, when it must grow. */
      readonly growTo?: number;
      /** The full desired config when any key differs. */
      readonly alterConfig?: Readonly<Record<string, string>>;
    };

/** Pure: what to do to make `existing` look like `desired`. Kafka cannot remove partitions. */
export function planTopic(desired: TopicSpec, existing: ExistingTopic | undefined): TopicPlan {
  if (existing === undefined) return { kind: 'create' };
  if (desired.partitions < existing.partitions) {
    return {
      kind: 'refuse',
      reason: 'NotSupported',
      message: `topic ${desired.name} has ${existing.partitions} partitions; Kafka cannot reduce them to ${desired.partitions}`,
    };
  }
  const configDiffers = Object.entries(desired.config).some(
    ([key, value]) => existing.config[key] !== value,
  );
  return {
    kind: 'update',
    ...(desired.partitions > existing.partitions ? { growTo: desired.partitions } : {}),
    ...(configDiffers ? { alterConfig: desired.config } : {}),
  };
}

export function isNoop(plan: TopicPlan): boolean {
  return plan.kind === 'update' && plan.growTo === undefined && plan.alterConfig === undefined;
}

interface Claimant {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  readonly creationTimestamp: number;
  readonly topics: readonly string[];
}

/**
 * Pure: the older pipeline owns a topic both claim (ties broken by namespace/name). Returns the
 * owner `me` conflicts with, or undefined.
 */
export function topicConflict(me: Claimant, others: readonly Claimant[]): Claimant | undefined {
  const mine = new Set(me.topics);
  const older = (a: Claimant, b: Claimant) =>
    a.creationTimestamp !== b.creationTimestamp
      ? a.creationTimestamp < b.creationTimestamp
      : `${a.namespace}/${a.name}` < `${b.namespace}/${b.name}`;
  return others
    .filter((o) => o.uid !== me.uid && o.topics.some((t) => mine.has(t)) && older(o, me))
    .sort((a, b) => (older(a, b) ? -1 : 1))[0];
}

export type { Claimant };

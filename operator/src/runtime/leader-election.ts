import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isStatus } from './kube-writer.ts';

export interface LeaseTimings {
  /** How long a lease is valid after its last renewal (others wait this long after a death). */
  readonly leaseDurationMs: number;
  /** The leader renews this often. */
  readonly renewPeriodMs: number;
  /** A candidate retries this often. */
  readonly retryPeriodMs: number;
}

/** Failover within 20 s of a leader's death: lease 15 s + at most one 2 s retry. */
export const DEFAULT_LEASE_TIMINGS: LeaseTimings = {
  leaseDurationMs: 15_000,
  renewPeriodMs: 5_000,
  retryPeriodMs: 2_000,
};

export interface LeaseView {
  readonly holder: string | undefined;
  readonly renewTimeMs: number | undefined;
  readonly leaseDurationMs: number | undefined;
}

export type LeaseDecision = 'create' | 'renew' | 'take' | 'wait';

/** Pure: what a candidate does with the lease it just read. */
export function decideLease(
  lease: LeaseView | undefined,
  identity: string,
  nowMs: number,
  defaultDurationMs: number,
): LeaseDecision {
  if (lease === undefined) return 'create';
  if (lease.holder === identity) return 'renew';
  if (lease.holder === undefined || lease.holder === '') return 'take';
  const renewed = lease.renewTimeMs ?? 0;
  const duration = lease.leaseDurationMs ?? defaultDurationMs;
  return nowMs > renewed + duration ? 'take' : 'wait';
}

export interface LeaderElectionOptions {
  readonly kubeConfig: k8s.KubeConfig;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly timings?: LeaseTimings;
  readonly logger: Logger;
  readonly onStartedLeading: () => void;
  /** Called when a renewal did not succeed before the lease ran out: stop writing at once. */
  readonly onStoppedLeading: () => void;
}

export interface LeaderElector {
  isLeader(): boolean;
  /** Stops campaigning; a leader releases the lease so a successor need not wait for expiry. */
  stop(): Promise<void>;
}

function view(lease: k8s.V1Lease): LeaseView {
  const spec = lease.spec ?? {};
  return {
    holder: spec.holderIdentity ?? undefined,
    renewTimeMs: spec.renewTime === undefined ? undefined : new Date(spec.renewTime).getTime(),
    leaseDurationMs:
      spec.leaseDurationSeconds === undefined ? undefined : spec.leaseDurationSeconds * 1000,
  };
}

/** Leader election on a coordination.k8s.io/v1 Lease with optimistic concurrency (resourceVersion). */
export function startLeaderElection(options: LeaderElectionOptions): LeaderElector {
  const { kubeConfig, namespace, name, identity, logger, onStartedLeading, onStoppedLeading } =
    options;
  const timings = options.timings ?? DEFAULT_LEASE_TIMINGS;
  const api = kubeConfig.makeApiClient(k8s.CoordinationV1Api);
  let leader = false;
  let stopped = false;
  /** Read through a function: `stopped` changes while tick() awaits. */
  const isStopped = () => stopped;
  let lastRenewMs = 0;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const spec = (
    now: number,
    transitions: number,
    acquire: boolean,
    previous?: k8s.V1LeaseSpec,
  ): k8s.V1LeaseSpec => {
    const acquireTime = acquire ? new k8s.V1MicroTime(now) : previous?.acquireTime;
    return {
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(timings.leaseDurationMs / 1000),
      renewTime: new k8s.V1MicroTime(now),
      ...(acquireTime === undefined ? {} : { acquireTime }),
      leaseTransitions: transitions,
    };
  };

  const tryOnce = async (): Promise<boolean> => {
    const now = Date.now();
    let lease: k8s.V1Lease | undefined;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    const decision = decideLease(
      lease === undefined ? undefined : view(lease),
      identity,
      now,
      timings.leaseDurationMs,
    );
    if (decision === 'wait') return false;
    if (decision === 'create' || lease === undefined) {
      await api.createNamespacedLease({
        namespace,
        body: { metadata: { name, namespace }, spec: spec(now, 0, true) },
      });
      return true;
    }
    const transitions = (lease.spec?.leaseTransitions ?? 0) + (decision === 'take' ? 1 : 0);
    await api.replaceNamespacedLease({
      name,
      namespace,
      body: Object.assign({}, lease, {
        spec: spec(now, transitions, decision === 'take', lease.spec),
      }),
    });
    return true;
  };

  const tick = async (): Promise<void> => {
    if (stopped) return;
    let held = false;
    try {
      held = await tryOnce();
    } catch (error) {
      // 409: someone else wrote the lease first; anything else: the API server is unreachable.
      if (!isStatus(error, 409)) logger.warn({ err: error }, 'lease request failed');
    }
    const now = Date.now();
    if (held) {
      lastRenewMs = now;
      if (!leader) {
        leader = true;
        logger.info({ lease: `${namespace}/${name}`, identity }, 'became leader');
        onStartedLeading();
      }
    } else if (leader && now - lastRenewMs >= timings.leaseDurationMs - timings.retryPeriodMs) {
      // Stop before the lease can expire under us, so two leaders never write at once.
      leader = false;
      logger.warn({ identity }, 'lost leadership');
      onStoppedLeading();
    }
    if (isStopped()) return;
    timer = setTimeout(
      () => {
        current = tick();
      },
      leader ? timings.renewPeriodMs : timings.retryPeriodMs,
    );
  };
  current = tick();

  return {
    isLeader: () => leader,
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
      if (!leader) return;
      leader = false;
      try {
        const lease = await api.readNamespacedLease({ name, namespace });
        if (lease.spec?.holderIdentity === identity) {
          await api.replaceNamespacedLease({
            name,
            namespace,
            body: Object.assign({}, lease, {
              spec: Object.assign({}, lease.spec, { holderIdentity: '', leaseDurationSeconds: 1 }),
            }),
          });
        }
      } catch (error) {
        logger.warn({ err: error }, 'could not release the lease');
      }
    },
  };
}

import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';

export type InformerEvent = 'add' | 'update' | 'delete';

export interface WatchedInformer<T extends k8s.KubernetesObject> {
  readonly name: string;
  readonly cache: k8s.ObjectCache<T>;
  /** True once listed and while the watch runs; false after a watch error until it re-lists. */
  healthy(): boolean;
  lastError(): string | undefined;
  stop(): Promise<void>;
}

export interface InformerOptions<T extends k8s.KubernetesObject> {
  readonly name: string;
  readonly kubeConfig: k8s.KubeConfig;
  readonly path: string;
  readonly list: () => Promise<k8s.KubernetesListObject<T>>;
  readonly labelSelector?: string;
  readonly onEvent: (event: InformerEvent, object: T) => void;
  readonly logger: Logger;
  readonly restartDelayMs?: number;
}

/**
 * client-node's informer (list, then watch; it re-lists by itself when the watch's resourceVersion
 * expires with 410 Gone) plus what it leaves to the caller: restarting after any other watch error
 * and telling /readyz whether the watch is healthy.
 */
export async function startInformer<T extends k8s.KubernetesObject>(
  options: InformerOptions<T>,
): Promise<WatchedInformer<T>> {
  const {
    name,
    kubeConfig,
    path,
    list,
    labelSelector,
    onEvent,
    logger,
    restartDelayMs = 2_000,
  } = options;
  const informer = k8s.makeInformer<T>(kubeConfig, path, list, labelSelector);
  let healthy = false;
  let lastError: string | undefined;
  let stopped = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let errors = 0;
  /** start() resolves even when its list fails (the error callback fires): only then healthy. */
  const startWatching = async (): Promise<void> => {
    const before = errors;
    await informer.start();
    if (errors === before) healthy = true;
  };

  informer.on('add', (object) => onEvent('add', object));
  informer.on('update', (object) => onEvent('update', object));
  informer.on('delete', (object) => onEvent('delete', object));
  informer.on('connect', () => {
    healthy = true;
  });
  informer.on('error', (error: unknown) => {
    healthy = false;
    errors += 1;
    lastError = error instanceof Error ? error.message : String(error);
    if (stopped) return;
    logger.warn({ informer: name, err: error }, 'watch failed; restarting');
    restartTimer = setTimeout(() => {
      startWatching().catch((startError: unknown) => {
        lastError = startError instanceof Error ? startError.message : String(startError);
      });
    }, restartDelayMs);
    restartTimer.unref();
  });

  await startWatching();
  return {
    name,
    cache: informer,
    healthy: () => healthy,
    lastError: () => lastError,
    stop: async () => {
      stopped = true;
      clearTimeout(restartTimer);
      await informer.stop();
    },
  };
}

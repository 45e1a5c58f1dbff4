import type { KubeWriter } from './runtime/kube-writer.ts';
import type { EventPipeline } from './api/resource.ts';

export type EventType = 'Normal' | 'Warning';

export type EventRecorder = (
  pipeline: EventPipeline,
  type: EventType,
  reason: string,
  message: string,
) => Promise<void>;

/** core/v1 Events on the pipeline, as `kubectl describe ep` shows them. */
export function createEventRecorder(
  writer: KubeWriter,
  component: string,
  now: () => Date,
): EventRecorder {
  return async (pipeline, type, reason, message) => {
    const time = now();
    await writer.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${pipeline.metadata.name}.${time.getTime().toString(16)}${Math.random().toString(16).slice(2, 8)}`,
        namespace: pipeline.metadata.namespace,
      },
      involvedObject: {
        apiVersion: pipeline.apiVersion,
        kind: pipeline.kind,
        name: pipeline.metadata.name,
        namespace: pipeline.metadata.namespace,
        uid: pipeline.metadata.uid,
        ...(pipeline.metadata.resourceVersion === undefined
          ? {}
          : { resourceVersion: pipeline.metadata.resourceVersion }),
      },
      type,
      reason,
      message: message.slice(0, 1024),
      source: { component },
      reportingComponent: component,
      reportingInstance: component,
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
    } as never);
  };
}

/**
 * Pinned versions of everything the stack builds or downloads. The cache is keyed by these, so
 * changing one here is all it takes to move to another release.
 */
export const versions = {
  kubernetes: 'v1.36.3',
  etcd: 'v3.5.35',
  kwok: 'v0.8.0',
  helm: 'v3.22.0',
  helmDocs: 'v1.14.2',
  helmUnittest: 'v1.1.2',
  slf4j: '1.7.36',
  kafka: {
    /** The default line. 4.4.0 is published but its dependency set does not fully resolve yet. */
    '4': '4.3.1',
    '3.9': '3.9.2',
  },
} as const;

export type KafkaLine = keyof typeof versions.kafka;

export const kafkaLines = Object.keys(versions.kafka) as KafkaLine[];

/** `STACK_KAFKA_4_VERSION=4.4.0` (or `STACK_KAFKA_3_9_VERSION`) overrides a line's pinned release. */
export function kafkaVersion(line: KafkaLine, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[`STACK_KAFKA_${line.replace('.', '_')}_VERSION`];
  return override !== undefined && override !== '' ? override : versions.kafka[line];
}

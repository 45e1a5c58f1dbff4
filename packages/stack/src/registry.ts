import type { Component } from './component.ts';
import { createKafka, kafkaComponentName } from './components/kafka.ts';
import { createKubernetes } from './components/kubernetes/index.ts';
import { createPipeline } from './components/pipeline.ts';
import { createPostgres } from './components/postgres.ts';
import { createRedis, type RedisOptions } from './components/redis.ts';
import { createTools } from './components/tools.ts';
import { StackError } from './errors.ts';
import { kafkaLines } from './versions.ts';

export interface ComponentOptions {
  redis?: RedisOptions;
}

/** What `stack up` starts when no component is named: the platform's own dependencies. */
export const defaultComponents = ['postgres', 'redis', 'kafka', 'kubernetes', 'pipeline'] as const;

export function componentNames(): string[] {
  return [
    'postgres',
    'redis',
    ...kafkaLines.map(kafkaComponentName),
    'kubernetes',
    'tools',
    'pipeline',
  ];
}

export function createComponent(name: string, options: ComponentOptions = {}): Component {
  if (name === 'postgres') return createPostgres();
  if (name === 'redis') return createRedis(options.redis);
  if (name === 'kubernetes') return createKubernetes();
  if (name === 'tools') return createTools();
  if (name === 'pipeline') return createPipeline();
  const line = kafkaLines.find((l) => kafkaComponentName(l) === name);
  if (line !== undefined) return createKafka(line);
  throw new StackError(
    name,
    `unknown component "${name}"`,
    `choose from: ${componentNames().join(', ')}`,
  );
}

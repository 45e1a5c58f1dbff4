import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaJars } from '../build/kafka.ts';
import type { Component } from '../component.ts';
import { StackError } from '../errors.ts';
import { CommandFailed, run, tail } from '../exec.ts';
import { LOOPBACK, claimPort } from '../ports.ts';
import { waitUntil } from '../wait.ts';
import { kafkaVersion, type KafkaLine } from '../versions.ts';

/** `kafka` is the default line; other lines get a suffix (`kafka-3.9`) and their own env variable. */
export function kafkaComponentName(line: KafkaLine): string {
  return line === '4' ? 'kafka' : `kafka-${line}`;
}

export function kafkaEnvName(line: KafkaLine): string {
  return line === '4' ? 'KAFKA_BROKERS' : `KAFKA_${line.replace('.', '_')}_BROKERS`;
}

/** A single combined broker+controller in KRaft mode, sized for a laptop and tests. */
export function serverProperties(opts: {
  brokerPort: number;
  controllerPort: number;
  logDir: string;
  line: KafkaLine;
}): string {
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${LOOPBACK}:${opts.controllerPort}`,
    `listeners=PLAINTEXT://${LOOPBACK}:${opts.brokerPort},CONTROLLER://${LOOPBACK}:${opts.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${LOOPBACK}:${opts.brokerPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${opts.logDir}`,
    'num.partitions=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
    'num.network.threads=2',
    'num.io.threads=4',
  ];
  if (opts.line !== '3.9') {
    lines.push(
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding. Like Kafka's own
 * generator, never one starting with "-", which command-line parsers read as an option.
 */
export function newClusterId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function probeKafka(brokers: string | undefined): Promise<void> {
  if (brokers === undefined) throw new Error('no broker address');
  const admin = new Kafka({
    clientId: 'stack-probe',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  }).admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('no broker registered yet');
    await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

export function createKafka(line: KafkaLine): Component {
  const name = kafkaComponentName(line);
  const version = kafkaVersion(line);
  let libs = '';
  return {
    name,
    summary: `Apache Kafka ${version} (KRaft, broker+controller, heap ≤ 512 MiB)`,
    debianPackages: () => [
      { component: name, package: 'default-jre-headless', provides: 'java' },
      { component: name, package: 'maven', provides: 'mvn' },
    ],
    prepare: async (ctx) => {
      libs = await kafkaJars(ctx.cacheDir, name, version, ctx.log);
    },
    probe: (env) => probeKafka(env[kafkaEnvName(line)]),
    start: async (ctx) => {
      const brokerPort = await claimPort(name, ctx.fixedPort(name));
      const controllerPort = await claimPort(name, ctx.fixedPort(`${name}-controller`));
      const properties = path.join(ctx.dir, 'server.properties');
      await writeFile(
        properties,
        serverProperties({ brokerPort, controllerPort, logDir: path.join(ctx.dir, 'data'), line }),
      );
      const classpath = `${libs}/*`;
      try {
        await run('java', [
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          `--cluster-id=${newClusterId()}`,
          `--config=${properties}`,
        ]);
      } catch (error) {
        const output = error instanceof CommandFailed ? tail(error.output, 10) : String(error);
        throw new StackError(
          name,
          `formatting Kafka's storage failed:\n${output}`,
          'check `java -version` (Java 17 or newer is needed) and free disk space',
          {
            cause: error,
          },
        );
      }
      const record = await ctx.spawn({
        name,
        command: 'java',
        args: [
          '-Xms256m',
          '-Xmx512m',
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-XX:+ExitOnOutOfMemoryError',
          '-Djava.awt.headless=true',
          '-cp',
          classpath,
          'kafka.Kafka',
          properties,
        ],
      });
      const brokers = `${LOOPBACK}:${brokerPort}`;
      await waitUntil(() => probeKafka(brokers), {
        component: name,
        what: 'the broker answering describeCluster',
        timeoutMs: 90_000,
        process: record,
        signal: ctx.signal,
      });
      return {
        env: { [kafkaEnvName(line)]: brokers },
        endpoints: { [`${name} ${version}`]: brokers },
      };
    },
  };
}

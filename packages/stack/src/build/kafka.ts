import { open, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StackError } from '../errors.ts';
import { CommandFailed, run, tail } from '../exec.ts';
import { versions } from '../versions.ts';
import { cached } from './cache.ts';

/** A pom whose only purpose is to pull the broker's runtime jars plus an slf4j binding. */
export function kafkaRuntimePom(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>eventpipeline.local</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>${version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>${version}</version>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-simple</artifactId>
      <version>${versions.slf4j}</version>
    </dependency>
  </dependencies>
</project>
`;
}

/** Every jar is a zip: a truncated or empty download fails this check. */
async function isZip(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    const stats = await handle.stat();
    return bytesRead === 4 && buffer.readUInt32LE(0) === 0x04034b50 && stats.size > 100;
  } finally {
    await handle.close();
  }
}

/** Fetches kafka_2.13:<version> and its runtime dependencies with Maven; returns the libs folder. */
export async function kafkaJars(
  cacheRoot: string,
  component: string,
  version: string,
  log: (line: string) => void,
): Promise<string> {
  const dir = await cached(cacheRoot, {
    key: path.join('kafka', version),
    log,
    verify: async (candidate) => {
      let jars: string[];
      try {
        jars = (await readdir(path.join(candidate, 'libs'))).filter((f) => f.endsWith('.jar'));
      } catch {
        return false;
      }
      const needed = [
        `kafka_2.13-${version}.jar`,
        `kafka-clients-${version}.jar`,
        `slf4j-simple-${versions.slf4j}.jar`,
      ];
      if (!needed.every((jar) => jars.includes(jar))) return false;
      for (const jar of jars) {
        if (!(await isZip(path.join(candidate, 'libs', jar)))) return false;
      }
      return true;
    },
    build: async (work) => {
      log(`fetching Apache Kafka ${version} jars with Maven (first run only)`);
      await writeFile(path.join(work, 'pom.xml'), kafkaRuntimePom(version));
      try {
        await run(
          'mvn',
          [
            '-q',
            '-B',
            'dependency:copy-dependencies',
            '-DoutputDirectory=libs',
            '-DincludeScope=runtime',
          ],
          {
            cwd: work,
          },
        );
      } catch (error) {
        const output = error instanceof CommandFailed ? tail(error.output, 8) : String(error);
        throw new StackError(
          component,
          `Maven could not fetch org.apache.kafka:kafka_2.13:${version}:\n${output}`,
          `check that Maven Central is reachable (mvn dependency:get -Dartifact=org.apache.kafka:kafka_2.13:${version}) and that ${version} is a released version; then retry`,
          { cause: error },
        );
      }
    },
  });
  return path.join(dir, 'libs');
}

export {
  up,
  down,
  status,
  stackEnv,
  type UpOptions,
  type StackInfo,
  type ProcessStatus,
} from './stack.ts';
export { componentNames, defaultComponents } from './registry.ts';
export { StackError, describeError } from './errors.ts';
export { resolveStateDir, cacheDir } from './paths.ts';
export { readState, type ComponentState } from './state.ts';
export {
  killProcess,
  stopProcess,
  startDaemon,
  isRunning,
  type ProcessRecord,
} from './processes.ts';
export { kafkaEnvName, kafkaComponentName } from './components/kafka.ts';
export { versions, kafkaLines, kafkaVersion, type KafkaLine } from './versions.ts';
export { killComponent, restartComponent, startComponent, stopComponent } from './faults.ts';

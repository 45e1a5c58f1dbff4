// Swapping a kafkajs internal module for ours (the record encoder and decoder): only on the kafkajs
// release the replacement was written and tested against, and by editing Node's module cache, the
// one place kafkajs's internal modules can be reached from outside.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The kafkajs release whose internals the record encoder and decoder replace. */
export const KAFKAJS_VERSION = '2.2.4';

export type KafkajsPatch =
  { readonly installed: true } | { readonly installed: false; readonly reason: string };

/** Runs `swap` if kafkajs is KAFKAJS_VERSION; otherwise leaves kafkajs alone and says why. */
export function patchKafkajs(what: string, swap: () => void): KafkajsPatch {
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== KAFKAJS_VERSION) {
    return {
      installed: false,
      reason: `kafkajs ${version} is not ${KAFKAJS_VERSION}, so its own ${what} is used`,
    };
  }
  swap();
  return { installed: true };
}

/** Makes `require(specifier)` return `exports` from now on (the module must be loaded). */
export function setModuleExports(specifier: string, exports: unknown): void {
  const path = require.resolve(specifier);
  const cached = require.cache[path];
  if (cached === undefined) throw new Error(`kafkajs module not loaded: ${path}`);
  cached.exports = exports;
}

/**
 * Makes the next `require` of each module load it anew, so that it takes the swapped modules
 * (require.cache is a plain map of loaded modules).
 */
export function reloadModules(specifiers: readonly string[]): void {
  for (const specifier of specifiers)
    Reflect.deleteProperty(require.cache, require.resolve(specifier));
}

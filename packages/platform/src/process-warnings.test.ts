import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { isKnownHarmlessWarning, logProcessWarnings } from './process-warnings.ts';
import type { WarningSource } from './process-warnings.ts';

const warningFrom = (name: string, message: string, stack: string) =>
  Object.assign(new Error(message), { name, stack: `${name}: ${message}\n${stack}` });

const KAFKAJS_FRAME =
  '    at RequestQueue.scheduleCheckPendingRequests (/app/node_modules/kafkajs/src/network/requestQueue/index.js:317:37)';

describe('process warnings', () => {
  it("knows kafkajs's negative request-queue timeout, and only that", () => {
    assert.equal(
      isKnownHarmlessWarning(
        warningFrom('TimeoutNegativeWarning', '-17 is a negative number.', KAFKAJS_FRAME),
      ),
      true,
    );
    assert.equal(
      isKnownHarmlessWarning(
        warningFrom(
          'TimeoutNegativeWarning',
          '-5 is a negative number.',
          '    at ours (/app/src/x.ts:1:1)',
        ),
      ),
      false,
      'a negative timeout of our own is still reported',
    );
    assert.equal(
      isKnownHarmlessWarning(warningFrom('DeprecationWarning', 'old', KAFKAJS_FRAME)),
      false,
    );
  });

  it("logs warnings instead of Node's printer, drops the harmless one, and can be undone", () => {
    const emitter = new EventEmitter();
    const source = emitter as unknown as WarningSource;
    const printed: string[] = [];
    const printer = (warning: Error) => printed.push(warning.message);
    emitter.on('warning', printer);
    const logged: { fields: unknown; message: string }[] = [];
    const undo = logProcessWarnings(
      { warn: (fields, message) => logged.push({ fields, message }) },
      source,
    );

    emitter.emit(
      'warning',
      warningFrom('TimeoutNegativeWarning', '-17 is a negative number.', KAFKAJS_FRAME),
    );
    emitter.emit(
      'warning',
      Object.assign(warningFrom('DeprecationWarning', 'Buffer() is deprecated', ''), {
        code: 'DEP0005',
      }),
    );
    assert.deepEqual(printed, []);
    assert.deepEqual(logged, [
      {
        fields: { warning: { name: 'DeprecationWarning', code: 'DEP0005' } },
        message: 'process warning: Buffer() is deprecated',
      },
    ]);

    undo();
    emitter.emit('warning', warningFrom('Warning', 'after', ''));
    assert.deepEqual(printed, ['after']);
    assert.equal(logged.length, 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import fc from 'fast-check';
import type { Prepared } from './prepare-events.ts';
import { packPrepared, unpackPrepared } from './prepared-transport.ts';
import type { PackedPrepared } from './prepared-transport.ts';

const message = fc.record(
  {
    key: fc.string(),
    value: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    headers: fc.dictionary(fc.string({ minLength: 1 }), fc.string(), { noNullPrototype: true }),
  },
  { noNullPrototype: true },
);

/** Through a real MessagePort, as a worker thread's answer travels. */
function acrossThreads(prepared: Prepared): Prepared {
  const { packed, transfer } = packPrepared(prepared);
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(packed, transfer);
  const received = receiveMessageOnPort(port2)?.message as PackedPrepared;
  port1.close();
  return unpackPrepared(received);
}

describe('prepared transport', () => {
  it('gives back the same messages, response and counts after a move between threads', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 20 }), fc.string(), (messages, responseJson) => {
        const prepared: Prepared = { ok: true, messages, responseJson, rejections: { schema: 2 } };
        const back = acrossThreads(prepared);
        assert.deepEqual(back, prepared);
        assert.ok(back.ok);
        for (const { value } of back.messages) assert.ok(Buffer.isBuffer(value));
      }),
      { numRuns: 200 },
    );
  });

  it('moves the values in one buffer rather than copying each', () => {
    const prepared: Prepared = {
      ok: true,
      messages: [
        { key: 'a', value: Buffer.from('{"n":1}'), headers: {} },
        { key: 'b', value: Buffer.from('{"n":22}'), headers: {} },
      ],
      responseJson: '{}',
      rejections: {},
    };
    const { packed, transfer } = packPrepared(prepared);
    assert.equal(transfer.length, 1);
    assert.equal(transfer[0]?.byteLength, 15);
    const back = unpackPrepared(packed);
    assert.ok(back.ok);
    assert.equal(back.messages[0]?.value.buffer, back.messages[1]?.value.buffer);
    assert.equal(back.messages[1]?.value.toString(), '{"n":22}');
  });

  it('passes a refusal through unchanged', () => {
    const refused: Prepared = {
      ok: false,
      error: { code: 'invalid_json', message: 'the body is not valid JSON', details: {} },
      rejections: {},
    };
    assert.deepEqual(acrossThreads(refused), refused);
  });
});

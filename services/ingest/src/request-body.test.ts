import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ApiError } from './api-error.ts';
import { DEFAULT_LIMITS } from './config.ts';
import { checkContentType, decodeBody, parseJsonBody } from './request-body.ts';

const codeOf = (work: () => unknown) => {
  try {
    work();
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof ApiError);
    return error.code;
  }
};

describe('request bodies', () => {
  it('accepts JSON media types only, in UTF-8', () => {
    assert.equal(
      codeOf(() => {
        checkContentType('application/json');
      }),
      'ok',
    );
    assert.equal(
      codeOf(() => {
        checkContentType('Application/JSON; charset=UTF-8');
      }),
      'ok',
    );
    assert.equal(
      codeOf(() => {
        checkContentType('application/vnd.api+json');
      }),
      'ok',
    );
    assert.equal(
      codeOf(() => {
        checkContentType('text/plain');
      }),
      'unsupported_media_type',
    );
    assert.equal(
      codeOf(() => {
        checkContentType(undefined);
      }),
      'unsupported_media_type',
    );
    assert.equal(
      codeOf(() => {
        checkContentType('application/json; charset=latin1');
      }),
      'unsupported_media_type',
    );
  });

  it('names JSON and UTF-8 problems', () => {
    assert.deepEqual(parseJsonBody(Buffer.from('{"a":1}')), { a: 1 });
    assert.equal(
      codeOf(() => parseJsonBody(Buffer.from('{'))),
      'invalid_json',
    );
    assert.equal(
      codeOf(() => parseJsonBody(Buffer.from([0xc3, 0x28]))),
      'invalid_encoding',
    );
  });

  it('inflates gzip up to the cap and no further', async () => {
    const limits = { ...DEFAULT_LIMITS, maxDecompressedBytes: 1000 };
    const small = await decodeBody(gzipSync('{"type":"a"}'), 'gzip', limits);
    assert.equal(small.toString(), '{"type":"a"}');
    await assert.rejects(decodeBody(gzipSync(Buffer.alloc(1001)), 'gzip', limits), {
      code: 'payload_too_large',
    });
    await assert.rejects(decodeBody(Buffer.from('nope'), 'gzip', limits), {
      code: 'invalid_encoding',
    });
    await assert.rejects(decodeBody(Buffer.from('x'), 'br', limits), {
      code: 'unsupported_encoding',
    });
  });
});

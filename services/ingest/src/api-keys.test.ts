import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createApiKeys, parseApiKeysFile, presentedKey } from './api-keys.ts';

describe('API keys', () => {
  it('knows its keys only by digest and names a principal that does not reveal the key', () => {
    const keys = createApiKeys(['alpha-key', 'beta-key', 'alpha-key', ' ']);
    assert.equal(keys.size, 2);
    const principal = keys.principalOf('alpha-key');
    assert.match(principal ?? '', /^key:[0-9a-f]{12}$/);
    assert.ok(!(principal ?? '').includes('alpha'));
    assert.notEqual(keys.principalOf('beta-key'), principal);
    assert.equal(keys.principalOf('alpha-keyX'), undefined);
    assert.equal(keys.principalOf(''), undefined);
  });

  it('reads one key per line, skipping blanks and comments', () => {
    assert.deepEqual(parseApiKeysFile('# team a\nk1\r\n\n  k2  \n#k3\n'), ['k1', 'k2']);
  });

  it('takes the key from Bearer first, then X-API-Key', () => {
    assert.equal(presentedKey('Bearer abc', 'xyz'), 'abc');
    assert.equal(presentedKey('bearer   abc ', undefined), 'abc');
    assert.equal(presentedKey('Basic abc', 'xyz'), 'xyz');
    assert.equal(presentedKey(undefined, ['k', 'l']), 'k');
    assert.equal(presentedKey(undefined, '  '), undefined);
  });
});

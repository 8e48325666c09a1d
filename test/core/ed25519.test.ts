// node:crypto (server) and @noble/ed25519 with zip215: false (clients) must agree on validity, edge cases included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { fromBase64url, toBase64url } from '../../src/core/base64url.ts';
import { nodeVerifier, publicKeyFromSigner, signerFromPublicKey } from '../../src/core/ed25519.ts';
import { SigningKey } from '../../src/workload/signing-key.ts';
import { seedNote, TEST_SEED } from '../support/seed.ts';

ed.hashes.sha512 = sha512;

const nobleVerify = (pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean => {
  try {
    return ed.verify(sig, msg, pub, { zip215: false });
  } catch {
    return false;
  }
};

// The group order L, little-endian, for building a non-canonical S = S + L.
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const toLe = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const fromLe = (b: Uint8Array) => b.reduce((acc, x, i) => acc + (BigInt(x) << BigInt(8 * i)), 0n);

test(`valid signatures verify under both; any single-bit change fails under both ${seedNote()}`, () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 200 }), fc.nat(), (seed, msg, bit) => {
      const key = new SigningKey(seed);
      const pub = publicKeyFromSigner(key.signer)!;
      const sig = fromBase64url(key.signBytes(msg))!;
      assert.equal(nodeVerifier(pub, msg, sig), true);
      assert.equal(nobleVerify(pub, msg, sig), true);
      const bad = Uint8Array.from(sig);
      bad[(bit >> 3) % 64]! ^= 1 << (bit & 7);
      assert.equal(nodeVerifier(pub, msg, bad), nobleVerify(pub, msg, bad));
      assert.equal(nodeVerifier(pub, msg, bad), false);
    }),
    { seed: TEST_SEED, numRuns: 200 },
  );
});

test('a non-canonical S (S + L) is rejected by both (RFC 8032 strictness, no malleability)', () => {
  const key = SigningKey.derive('malleability');
  const msg = new TextEncoder().encode('swoosh');
  const sig = fromBase64url(key.signBytes(msg))!;
  const s = fromLe(sig.subarray(32));
  const malleable = Uint8Array.from([...sig.subarray(0, 32), ...toLe(s + L)]);
  const pub = publicKeyFromSigner(key.signer)!;
  assert.equal(nodeVerifier(pub, msg, malleable), false);
  assert.equal(nobleVerify(pub, msg, malleable), false);
});

test('small-order and non-canonical public keys give the same verdict under both', () => {
  const msg = new TextEncoder().encode('swoosh');
  // Identity point (small order), a non-canonical encoding of it, and the order-2 point.
  const keys = ['0100000000000000000000000000000000000000000000000000000000000000', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'];
  // R = identity, S = 0 makes [S]B = R + [k]A hold for A of small order under cofactorless checks.
  const sig = Uint8Array.from([1, ...new Array(31).fill(0), ...new Array(32).fill(0)]);
  for (const hex of keys) {
    const pub = Uint8Array.from(Buffer.from(hex, 'hex'));
    assert.equal(nodeVerifier(pub, msg, sig), nobleVerify(pub, msg, sig), `disagreement for key ${hex}`);
  }
});

test('signer ids round-trip and reject non-canonical base64url', () => {
  const pub = publicKeyFromSigner(SigningKey.derive('x').signer)!;
  assert.deepEqual(publicKeyFromSigner(signerFromPublicKey(pub)), pub);
  const text = toBase64url(pub);
  const last = text[text.length - 1]!;
  const tweaked = text.slice(0, -1) + (last === 'A' ? 'B' : last === 'B' ? 'C' : 'A');
  // 32 bytes leave 4 unused bits in the last character: only one spelling decodes.
  assert.equal(fromBase64url(tweaked) === null || toBase64url(fromBase64url(tweaked)!) === tweaked, true);
  assert.equal(publicKeyFromSigner('hmmm:pubkey:' + text + '='), null);
  assert.equal(publicKeyFromSigner('hmmm:pubkey:' + text.slice(1)), null);
});

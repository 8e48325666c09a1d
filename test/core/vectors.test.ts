// Golden vectors: fixed inputs must keep their canonical bytes, hashes and signatures (a contract change shows here).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import { memberSetHash, voteSigningBytes } from '../../src/core/council-vote.ts';
import { digestJson } from '../../src/core/digest.ts';
import { decodeSignature, nodeVerifier, publicKeyFromSigner } from '../../src/core/ed25519.ts';
import { genesisState, parseGenesis } from '../../src/core/genesis.ts';
import { formatHlc, parseHlc } from '../../src/core/hlc.ts';
import { signingBytes, type Proposal } from '../../src/core/proposal.ts';
import { SetHash } from '../../src/core/set-hash.ts';
import { stateHash } from '../../src/core/state-hash.ts';
import { signProposal, verifyProposal } from '../../src/sdk/proposal-signer.ts';
import { SigningKey } from '../../src/workload/signing-key.ts';

interface Vectors {
  canonical: { value: unknown; canonical: string; digest: string }[];
  keys: { seed_hex: string; signer: string }[];
  proposal: { seed_hex: string; signing_bytes: string; signed: Proposal };
  vote: { seed_hex: string; election_id: string; members: string[]; member_set_hash: string; signing_bytes: string; signature: string };
  set_hash: { elements: string[]; digest: string }[];
  hlc: { text: string; ms: number; logical: number }[];
  genesis: { genesis: unknown; state_hash: string };
}

const v = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'vectors', 'vectors.json'), 'utf8')) as Vectors;
const seed = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

test('canonical JSON and content hashes match the vectors', () => {
  for (const c of v.canonical) {
    assert.equal(canonicalJson(c.value), c.canonical);
    assert.equal(digestJson(c.value), c.digest);
  }
});

test('signer ids derive from the key seeds', () => {
  for (const k of v.keys) assert.equal(new SigningKey(seed(k.seed_hex)).signer, k.signer);
});

test('the proposal vector: signing bytes, signature (node:crypto and @noble agree), inputs hash', () => {
  const p = v.proposal.signed;
  assert.equal(Buffer.from(signingBytes(p)).toString('utf8'), v.proposal.signing_bytes);
  assert.equal(p.inputs_hash, digestJson(p.inputs));
  assert.equal(new SigningKey(seed(v.proposal.seed_hex)).signProposal({ ...p }).signature, p.signature, 'Ed25519 is deterministic');
  const { signature: _s, signer: _k, inputs_hash: _i, ...draft } = p;
  assert.deepEqual(signProposal(draft, seed(v.proposal.seed_hex)), p, 'the @noble SDK produces the same proposal');
  assert.ok(nodeVerifier(publicKeyFromSigner(p.signer)!, signingBytes(p), decodeSignature(p.signature)!), 'nodeVerifier(publicKeyFromSigner(p.signer)!, signingBytes(p), decodeSignature(p.signature)!)');
  assert.ok(verifyProposal(p), 'verifyProposal(p)');
});

test('the vote vector: member set hash, signing bytes, signature', () => {
  assert.equal(memberSetHash(v.vote.members), v.vote.member_set_hash);
  assert.equal(memberSetHash([...v.vote.members].reverse()), v.vote.member_set_hash);
  const bytes = voteSigningBytes(v.vote.election_id, v.vote.member_set_hash);
  assert.equal(Buffer.from(bytes).toString('utf8'), v.vote.signing_bytes);
  assert.equal(new SigningKey(seed(v.vote.seed_hex)).signBytes(bytes), v.vote.signature);
});

test('LtHash set hashes match the vectors and ignore insertion order', () => {
  for (const s of v.set_hash) assert.equal(s.elements.reduce((h, e) => h.add(e), SetHash.empty()).digest(), s.digest);
  assert.equal(SetHash.empty().add('a').add('b').remove('a').digest(), SetHash.empty().add('b').digest());
});

test('HLC text forms parse to the vector values and format back', () => {
  for (const x of v.hlc) {
    const p = parseHlc(x.text);
    assert.ok(p.ok, 'p.ok');
    assert.deepEqual(p.value, { ms: x.ms, logical: x.logical });
    assert.equal(formatHlc(p.value), x.text);
  }
});

test('the genesis vector produces the recorded genesis state hash', () => {
  const g = parseGenesis(v.genesis.genesis);
  assert.ok(g.ok, 'g.ok');
  assert.equal(stateHash(genesisState(g.genesis)), v.genesis.state_hash);
});

// Writes test/vectors/vectors.json: fixed inputs with their canonical bytes, hashes and signatures.
// Run only on a deliberate contract change (npm run golden:update); test/core/vectors.test.ts checks them.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../src/core/canonical-json.ts';
import { memberSetHash, voteSigningBytes } from '../../src/core/council-vote.ts';
import { digestJson } from '../../src/core/digest.ts';
import { genesisState } from '../../src/core/genesis.ts';
import { parseHlc } from '../../src/core/hlc.ts';
import { signingBytes } from '../../src/core/proposal.ts';
import { SetHash } from '../../src/core/set-hash.ts';
import { stateHash } from '../../src/core/state-hash.ts';
import { makeCast, workloadGenesis } from '../../src/workload/cast.ts';
import { SigningKey } from '../../src/workload/signing-key.ts';

const seedHex = (n: number) => Buffer.alloc(32, n).toString('hex');
const key = (n: number) => new SigningKey(new Uint8Array(Buffer.from(seedHex(n), 'hex')));

const canonicalValues = [
  { b: 2, a: 1, c: { z: true, y: null } },
  ['é', '\u2028', '😀', '\u0007', 'quote"back\\slash'],
  { '\u20ac': 'Euro', '\r': 'CR', '1': 'One', '\ud83d\ude00': 'Emoji', '\u00f6': 'o-umlaut' },
  { big: 9007199254740991, neg: -42, zero: 0, empty_obj: {}, empty_arr: [] },
];

const inputs = { config_hash: digestJson({ config: 'example' }) };
const unsigned = {
  current_state_hash: digestJson({ example: 'HEAD' }),
  transition: 'Boot_ConfigOk',
  inputs_hash: digestJson(inputs),
  signer: key(1).signer,
  idem_key: 'goal-1:0:boot:00000001',
  hlc: '2025-10-19T01:23:45.678+00:00#1234',
  window_id: null,
  evidence: ['ucxl://chorus:spec@council/…', 'bubble://dr/sha256-' + '0'.repeat(64)],
  inputs,
};

const members = [key(3).signer, key(2).signer];
const genesis = workloadGenesis(7, makeCast(7));

const vectors = {
  note: 'Golden vectors for docs/hashing.md and docs/proposal-contract.md. Keys are Ed25519 seeds of 32 repeated bytes.',
  canonical: canonicalValues.map((value) => ({ value, canonical: canonicalJson(value), digest: digestJson(value) })),
  keys: [1, 2, 3].map((n) => ({ seed_hex: seedHex(n), signer: key(n).signer })),
  proposal: {
    seed_hex: seedHex(1),
    signing_bytes: Buffer.from(signingBytes(unsigned)).toString('utf8'),
    signed: key(1).signProposal(unsigned),
  },
  vote: {
    seed_hex: seedHex(2),
    election_id: 'E-2025-10-19',
    members,
    member_set_hash: memberSetHash(members),
    signing_bytes: Buffer.from(voteSigningBytes('E-2025-10-19', memberSetHash(members))).toString('utf8'),
    signature: key(2).signBytes(voteSigningBytes('E-2025-10-19', memberSetHash(members))),
  },
  set_hash: [[], ['a'], ['a', 'b'], ['b', 'a']].map((elements) => ({ elements, digest: elements.reduce((h, e) => h.add(e), SetHash.empty()).digest() })),
  hlc: ['2025-10-19T01:23:45.678+00:00#1234', '1970-01-01T00:00:00.000+00:00#0'].map((text) => {
    const p = parseHlc(text);
    if (!p.ok) throw new Error(text);
    return { text, ...p.value };
  }),
  genesis: { genesis, state_hash: stateHash(genesisState(genesis)) },
};

writeFileSync(join(import.meta.dirname, 'vectors.json'), JSON.stringify(vectors, null, 2) + '\n');
console.log('wrote test/vectors/vectors.json');

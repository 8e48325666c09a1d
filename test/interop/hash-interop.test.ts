// Cross-checks the hashing contract (docs/hashing.md) against test/interop/reference_hash.py, an independent
// Python implementation: canonical JSON, content hashes, LtHash16 and the state hash must agree byte for byte.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { canonicalJson, type Json } from '../../src/core/canonical-json.ts';
import { memberSetHash, voteSigningBytes } from '../../src/core/council-vote.ts';
import { decisionRecordIdOf } from '../../src/core/decision-record.ts';
import { DedupeTable, hashedRow } from '../../src/core/dedupe-table.ts';
import { digestJson } from '../../src/core/digest.ts';
import { genesisState } from '../../src/core/genesis.ts';
import { signingBytes, type Proposal } from '../../src/core/proposal.ts';
import { reduce } from '../../src/core/reducer.ts';
import { SetHash } from '../../src/core/set-hash.ts';
import type { StateDocument } from '../../src/core/state.ts';
import { stateHash, stateHashInput } from '../../src/core/state-hash.ts';
import { stateToJson } from '../../src/core/state-json.ts';
import { replayStream } from '../../src/replay/replay-stream.ts';
import { makeCast, workloadGenesis } from '../../src/workload/cast.ts';
import { generateWorkload } from '../../src/workload/generator.ts';

const SEED = Number(process.env.SWOOSH_TEST_SEED ?? 7);
const WHERE = `seed=${SEED} (set SWOOSH_TEST_SEED to reproduce)`;
const SCRIPT = fileURLToPath(new URL('./reference_hash.py', import.meta.url));

const probe = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const PYTHON_MISSING: string | null =
  probe.error !== undefined ? `python3 not found: ${probe.error.message}` : probe.status !== 0 ? `python3 not found: \`python3 --version\` exited ${probe.status}` : null;

interface Reference {
  readonly state_hash: string | null;
  readonly state_hash_input: Record<string, string> | null;
  readonly value_hashes: string[];
  readonly canonical: string[];
}

function reference(state: Json | null, values: readonly Json[]): Reference {
  const r = spawnSync('python3', [SCRIPT], { input: JSON.stringify({ state, values }), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error !== undefined) throw r.error;
  assert.equal(r.status, 0, `${WHERE}: reference_hash.py exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Reference;
}

/** Skips the test when python3 is unavailable; returns true if it did. */
function skipWithoutPython(t: TestContext): boolean {
  if (PYTHON_MISSING === null) return false;
  t.skip(PYTHON_MISSING);
  return true;
}

function assertValuesAgree(values: readonly Json[], label: string): void {
  const ref = reference(null, values);
  assert.equal(ref.canonical.length, values.length);
  values.forEach((v, i) => {
    const what = `${WHERE}: ${label}[${i}] = ${JSON.stringify(v).slice(0, 200)}`;
    assert.equal(ref.canonical[i], canonicalJson(v), `${what}: canonical form differs`);
    assert.equal(ref.value_hashes[i], digestJson(v), `${what}: digest differs`);
  });
}

function assertStateAgrees(state: StateDocument, label: string, rowsTransform?: (rows: Json[]) => Json[]): void {
  const json = stateToJson(state);
  if (rowsTransform !== undefined) json['dedupe'] = rowsTransform(json['dedupe'] as Json[]);
  // Round-trip through JSON text: the reference must work from the serialized state alone.
  const ref = reference(JSON.parse(JSON.stringify(json)) as Json, []);
  const what = `${WHERE}: ${label} (${state.dedupe.size} dedupe rows, hlc_last ${state.hlc_last})`;
  assert.deepEqual(ref.state_hash_input, stateHashInput(state, false), `${what}: per-section hashes differ`);
  assert.equal(ref.state_hash, stateHash(state), `${what}: state hash differs`);
}

// ------------------------------------------------------------------------------------------ RFC 8785

const RFC8785_SORTING_INPUT: Json = {
  '\u20ac': 'Euro Sign',
  '\r': 'Carriage Return',
  '\ufb33': 'Hebrew Letter Dalet With Dagesh',
  '1': 'One',
  '\ud83d\ude00': 'Emoji: Grinning Face',
  '\u0080': 'Control\u007f',
  '\u00f6': 'Latin Small Letter O With Diaeresis',
};
const RFC8785_SORTING_OUTPUT =
  '{"\\r":"Carriage Return","1":"One","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis",' +
  '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}';

// RFC 8785 §3.2.2.2 string example: "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/" -> "€$\u000f\nA'B\"\\\\\"/"
const RFC8785_STRING_INPUT: Json = '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/';
const RFC8785_STRING_OUTPUT = '"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"';

test('RFC 8785: key sorting and string examples serialize as the RFC says', () => {
  assert.equal(canonicalJson(RFC8785_SORTING_INPUT), RFC8785_SORTING_OUTPUT);
  const keys = Object.keys(JSON.parse(canonicalJson(RFC8785_SORTING_INPUT)) as object);
  // JSON.parse re-orders integer-like keys ("1") first, so check the order in the text instead.
  const order = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
  assert.deepEqual([...keys].sort(), [...order].sort());
  const text = canonicalJson(RFC8785_SORTING_INPUT);
  const positions = order.map((k) => text.indexOf(JSON.stringify(k) + ':'));
  assert.ok(positions.every((p, i) => p >= 0 && (i === 0 || p > positions[i - 1]!)), `keys out of RFC order: ${positions.join(',')}`);
  assert.equal(canonicalJson(RFC8785_STRING_INPUT), RFC8785_STRING_OUTPUT);
  assert.equal(canonicalJson([null, true, false]), '[null,true,false]');
});

test('RFC 8785 examples: the Python reference agrees', (t) => {
  if (skipWithoutPython(t)) return;
  const ref = reference(null, [RFC8785_SORTING_INPUT, RFC8785_STRING_INPUT]);
  assert.equal(ref.canonical[0], RFC8785_SORTING_OUTPUT);
  assert.equal(ref.canonical[1], RFC8785_STRING_OUTPUT);
});

// ------------------------------------------------------------------------------------------ values

let deep: Json = 'bottom';
for (let i = 0; i < 16; i++) deep = i % 2 === 0 ? [deep, i] : { [`level-${i}`]: deep, z: -i };

const TRICKY: Json[] = [
  '',
  'plain ascii',
  'é',
  'e\u0301', // decomposed: no Unicode normalization
  '\u2028\u2029',
  '😀',
  '\ud835\udcb3\ud800\udf48', // 𝒳𐍈: astral plane
  '👩\u200d👩\u200d👧',
  '\u0000\u0001\u0007\u000b\u000e\u001f\u007f\u0080\u009f',
  '\b\f\n\r\t"\\/',
  '</script>&<>\'',
  'Ω≈ç√∫˜µ≤≥÷\ufeff\uffff',
  '\ud800', // lone high surrogate
  'a\udc00b', // lone low surrogate
  0,
  -0,
  1,
  -1,
  9_007_199_254_740_991,
  -9_007_199_254_740_991,
  1_000_000_000_000_000,
  -1_767_830_400_160,
  true,
  false,
  null,
  {},
  [],
  [[]],
  [{}],
  [[[]], [[1, [2, [3, [{}]]]]], [null, [true, [false]]]],
  // Key order: UTF-16 code units, not code points (😀 = D83D DE00 sorts before U+E000 and U+FFFF).
  { 'é': 1, e: 2, z: 3, '😀': 4, '\uffff': 5, Z: 6, '': 7, aa: 8, a: 9, '\ue000': 10, 'e\u0301': 11, '10': 12, '9': 13, '\u0080': 14, '\u007f': 15 },
  { '\ud800': 'lone', '\ud83d\ude00': 'pair', '\ue000': 'private use', '\uffff': 'max' },
  { nested: { b: [{ y: 1, x: [] }], a: { '\u2028': '\u2029' } }, 'key with "quotes" and \\': 'v', 'tab\tkey': '\n' },
  deep,
];

test('tricky values: canonical form and digest agree with the Python reference', (t) => {
  if (skipWithoutPython(t)) return;
  assertValuesAgree(TRICKY, 'TRICKY');
});

test('docs/hashing.md worked examples that depend only on literal inputs', (t) => {
  const example: Json = { b: [1, -2, 9007199254740991], a: 'é\n"\u2028😀', A: null, '': true, 'é': {} };
  assert.equal(canonicalJson(example), '{"":true,"A":null,"a":"é\\n\\"\u2028😀","b":[1,-2,9007199254740991],"é":{}}');
  assert.equal(digestJson(example), 'sha256-b3917589228e2bc42faf5d4a90b1ef49092fb49976c37b1f31135c0d91c69f64');
  assert.equal(digestJson(null), 'sha256-74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b');
  assert.equal(digestJson({}), 'sha256-44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  assert.equal(SetHash.empty().digest(), 'lthash16-sha256-e5a00aa9991ac8a5ee3109844d84a55583bd20572ad3ffcd42792f3c36b183ad');
  const signer = 'hmmm:pubkey:AEePr-z4NI3V6sUeYI1rVPjo0S64cH_LCRmzBQM6edk';
  const row1 = { idem_key: 'g7:0:Record:0', index: 1, transition: 'Window_Record', signer, inputs_hash: 'sha256-79a17998d78dac33e48039434a570215e273876debf2a369c606a3a31fec1eff', outcome: 'accepted', first_seen: '2026-01-08T00:00:00.160+00:00#0' } as const;
  const row2 = { ...row1, idem_key: 'g7:1:Record:1', index: 2, inputs_hash: 'sha256-ed25197d76cdd6ce51efd057ecdcbd1dfd590be2997b3ae355ff49758dcbc0d7', first_seen: '2026-01-08T00:00:00.327+00:00#0' } as const;
  const one = SetHash.empty().add(canonicalJson(row1));
  assert.equal(one.digest(), 'lthash16-sha256-4981e287d58eef0d04794f16a3b4fc63051574584b6f0cd2aea8d4d1c1199aaa');
  assert.equal(one.add(canonicalJson(row2)).digest(), 'lthash16-sha256-30e65a853ca22398ef08f3d63fa558d0084c400cf0b625131a35f8ef95f84c84');
  assert.equal(memberSetHash(['b', 'a', 'b']), 'sha256-e050091391d0084a5d578e1804f9fa1e43b2c4193f2881d253828d6990bbb9b7');
  assert.equal(
    new TextDecoder().decode(voteSigningBytes('e1', memberSetHash(['a', 'b']))),
    '{"election_id":"e1","member_set_hash":"sha256-e050091391d0084a5d578e1804f9fa1e43b2c4193f2881d253828d6990bbb9b7","type":"swoosh.council_vote.v1"}',
  );
  if (skipWithoutPython(t)) return;
  // The same two rows as a (hand-made) state's dedupe table, hashed by the reference.
  const state = genesisState(workloadGenesis(7, makeCast(7)));
  const withRows = { ...state, dedupe: DedupeTable.fromRows([row1, row2].map((r) => ({ ...r, first_seen_ms: 0, state_post_hash: digestJson(null), decision_record_id: '' }))) };
  const ref = reference(JSON.parse(JSON.stringify(stateToJson(withRows))) as Json, [example]);
  assert.equal(ref.state_hash_input?.['dedupe'], 'lthash16-sha256-30e65a853ca22398ef08f3d63fa558d0084c400cf0b625131a35f8ef95f84c84');
  assert.equal(ref.value_hashes[0], 'sha256-b3917589228e2bc42faf5d4a90b1ef49092fb49976c37b1f31135c0d91c69f64');
});

// ------------------------------------------------------------------------------------------ states

test('genesis state hash agrees with the Python reference', (t) => {
  if (skipWithoutPython(t)) return;
  const genesis = workloadGenesis(SEED, makeCast(SEED));
  const state = genesisState(genesis);
  assert.equal(state.hlc_last, null);
  assert.equal(state.dedupe.size, 0);
  assertStateAgrees(state, 'genesis');
  assertValuesAgree([genesis as unknown as Json], 'genesis document');
  assert.equal(reference(null, [genesis as unknown as Json]).value_hashes[0], state.meta.genesis_hash, `${WHERE}: meta.genesis_hash`);
});

const COUNT = 80;
const CHECKPOINTS = [1, 2, 5, 20, 40, COUNT];

test(`states after replaying a workload prefix (${COUNT} entries) agree with the Python reference`, (t) => {
  if (skipWithoutPython(t)) return;
  const workload = generateWorkload({ seed: SEED, count: COUNT });
  const states = new Map<number, StateDocument>();
  const run = replayStream(workload.genesis, workload.entries, { onEntry: (index, s) => (CHECKPOINTS.includes(index) ? states.set(index, s) : undefined) });
  assert.equal(run.report.invariant_violations, 0, `${WHERE}: replay reported invariant violations`);
  for (const index of CHECKPOINTS) {
    const s = states.get(index);
    assert.ok(s !== undefined, `${WHERE}: no state after entry ${index}`);
    assert.equal(stateHash(s), run.postHashes[index - 1], `${WHERE}: post hash of entry ${index}`);
    if (index >= 5) assert.ok(s.dedupe.size > 0, `${WHERE}: expected a non-empty dedupe table after entry ${index}`);
    assertStateAgrees(s, `state after entry ${index}`);
  }
});

test('dedupe set hash: removal, replacement, annotations and row order agree with the Python reference', (t) => {
  if (skipWithoutPython(t)) return;
  const workload = generateWorkload({ seed: SEED, count: COUNT });
  const { final } = replayStream(workload.genesis, workload.entries);
  const rows = final.dedupe.toArray();
  assert.ok(rows.length >= 4, `${WHERE}: need at least 4 dedupe rows, got ${rows.length}`);
  const retention = final.meta.dedupe_retention_ms;

  // Expiry: sweep about half the rows by LtHash subtraction; the reference recomputes from what is left.
  const cut = rows[Math.floor(rows.length / 2)]!;
  const expired = { ...final, dedupe: final.dedupe.expire(cut.first_seen_ms + retention, retention) };
  assert.ok(expired.dedupe.size > 0 && expired.dedupe.size < rows.length, `${WHERE}: expiry should remove some but not all rows`);
  assert.equal(expired.dedupe.digest(), DedupeTable.fromRows(expired.dedupe.toArray()).digest(), `${WHERE}: incremental removal != rebuild`);
  assertStateAgrees(expired, 'state with half the dedupe rows expired');

  // Rows past retention that are not swept yet are still hashed: lookup ignores them, the hash does not.
  const first = rows[0]!;
  const later = first.first_seen_ms + retention;
  assert.equal(final.dedupe.lookup(first.idem_key, later, retention), undefined, `${WHERE}: a row at first_seen_ms + retention must not be live`);
  assert.ok(final.dedupe.lookup(first.idem_key, later - 1, retention) !== undefined, `${WHERE}: a row one ms before expiry must be live`);

  // Replacement of an existing key: remove the old row's lanes, add the new row's.
  const replaced = { ...final, dedupe: final.dedupe.insert({ ...first, index: 999_999, outcome: 'quarantined' }) };
  assert.notEqual(stateHash(replaced), stateHash(final));
  assertStateAgrees(replaced, 'state with a replaced dedupe row');

  // Annotations are outside the row hash.
  const annotated = { ...final, dedupe: final.dedupe.annotate(first.idem_key, digestJson('other'), 'bubble://dr/other') };
  assert.equal(stateHash(annotated), stateHash(final), `${WHERE}: annotations changed the state hash`);
  assertStateAgrees(annotated, 'state with re-annotated dedupe row');

  // Order independence, and the reference ignores the unhashed fields.
  assertStateAgrees(final, 'final state, dedupe rows reversed', (r) => [...r].reverse());
  assertStateAgrees(final, 'final state, hashed fields only', () => rows.map((row) => hashedRow(row) as Json));
});

test('signing bytes, inputs_hash, vote bytes and decision-record ids are the canonical forms the reference computes', (t) => {
  if (skipWithoutPython(t)) return;
  const workload = generateWorkload({ seed: SEED, count: 40 });
  const proposals = workload.entries
    .map((e) => e.proposal)
    .filter((p): p is Proposal => p !== null && typeof p === 'object' && typeof (p as Proposal).signature === 'string' && (p as Proposal).inputs !== undefined)
    .slice(0, 10);
  assert.ok(proposals.length > 0, `${WHERE}: no proposals in the workload`);
  const unsigned = proposals.map((p) => {
    const { signature: _s, ...rest } = p;
    return rest as unknown as Json;
  });
  const inputs = proposals.map((p) => p.inputs);
  const ref = reference(null, [...unsigned, ...inputs]);
  proposals.forEach((p, i) => {
    assert.equal(ref.canonical[i], new TextDecoder().decode(signingBytes(p)), `${WHERE}: signing bytes of ${p.idem_key}`);
    if (p.inputs_hash === digestJson(p.inputs)) assert.equal(ref.value_hashes[proposals.length + i], p.inputs_hash, `${WHERE}: inputs_hash of ${p.idem_key}`);
  });

  // Member set hash and vote signing bytes.
  const members = makeCast(SEED).voters.map((v) => v.key.signer);
  const setValue: Json = { type: 'swoosh.council_members.v1', members: [...new Set([...members, members[0]!])].sort() };
  const voteValue: Json = { type: 'swoosh.council_vote.v1', election_id: `election-${SEED}`, member_set_hash: memberSetHash(members) };
  const refVote = reference(null, [setValue, voteValue]);
  assert.equal(refVote.value_hashes[0], memberSetHash([...members].reverse().concat(members[0]!)), `${WHERE}: member set hash`);
  assert.equal(refVote.canonical[1], new TextDecoder().decode(voteSigningBytes(`election-${SEED}`, memberSetHash(members))), `${WHERE}: vote signing bytes`);

  // Decision-record ids: bubble://dr/ + the content hash of the record without `id`.
  let state = genesisState(workload.genesis);
  const bodies: Json[] = [];
  const ids: string[] = [];
  for (const entry of workload.entries.slice(0, 12)) {
    const r = reduce(state, entry);
    if (r.decisionRecord !== null) {
      const { id, ...body } = r.decisionRecord;
      bodies.push(body as unknown as Json);
      ids.push(id);
      assert.equal(decisionRecordIdOf(r.decisionRecord), id);
    }
    state = r.state;
  }
  const refDr = reference(null, bodies);
  ids.forEach((id, i) => assert.equal(`bubble://dr/${refDr.value_hashes[i]}`, id, `${WHERE}: decision record ${i}`));
});

#!/usr/bin/env python3
"""Independent reference implementation of the SWOOSH hashing contract (docs/hashing.md).

Written from the specification only, with the Python standard library (json, hashlib, sys).

stdin:  {"state": <state JSON with dedupe as a list of rows, or null>, "values": [<JSON values>]}
stdout: {"state_hash": ..., "state_hash_input": {...}, "value_hashes": [...], "canonical": [...]}

Exits with status 2 and a message on stderr if the input is outside the contract (a float, an
integer that is not safe, a duplicate key, an unknown state section or row field, ...).
"""

import hashlib
import json
import sys

MAX_SAFE = 2**53 - 1

# ---------------------------------------------------------------- canonical JSON (docs/hashing.md §1)

_SHORT_ESCAPES = {
    0x22: '\\"',
    0x5C: '\\\\',
    0x08: '\\b',
    0x09: '\\t',
    0x0A: '\\n',
    0x0C: '\\f',
    0x0D: '\\r',
}


class ContractError(ValueError):
    pass


def _string(s):
    out = ['"']
    for ch in s:
        cp = ord(ch)
        short = _SHORT_ESCAPES.get(cp)
        if short is not None:
            out.append(short)
        elif cp < 0x20 or 0xD800 <= cp <= 0xDFFF:
            # Control characters, and lone surrogates (a paired one is never a separate code point
            # in a Python str), as \uXXXX with lowercase hex.
            out.append('\\u%04x' % cp)
        else:
            out.append(ch)
    out.append('"')
    return ''.join(out)


def _utf16_units(key):
    # Big-endian UTF-16 bytes compare exactly like the sequence of UTF-16 code units.
    return key.encode('utf-16-be', 'surrogatepass')


def canonical(value):
    """C(value): RFC 8785 text for null/bool/safe-integer/string/array/object values."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, int):
        if not -MAX_SAFE <= value <= MAX_SAFE:
            raise ContractError('integer %d is not a safe integer' % value)
        return str(value)
    if isinstance(value, float):
        raise ContractError('number %r is not an integer; floats are outside the contract' % value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return '[' + ','.join(canonical(v) for v in value) + ']'
    if isinstance(value, dict):
        keys = sorted(value.keys(), key=_utf16_units)
        return '{' + ','.join(_string(k) + ':' + canonical(value[k]) for k in keys) + '}'
    raise ContractError('%s is not a JSON value' % type(value).__name__)


def canonical_bytes(value):
    return canonical(value).encode('utf-8')


# ---------------------------------------------------------------- content hash (§2)


def content_hash(value):
    return 'sha256-' + hashlib.sha256(canonical_bytes(value)).hexdigest()


# ---------------------------------------------------------------- LtHash16 (§4)

LANES = 1024


class LtHash16:
    def __init__(self):
        self.lanes = [0] * LANES

    @staticmethod
    def _expand(element):
        out = hashlib.shake_256(element).digest(2 * LANES)
        return [out[2 * i] | (out[2 * i + 1] << 8) for i in range(LANES)]

    def insert(self, element):
        e = self._expand(element)
        self.lanes = [(a + b) & 0xFFFF for a, b in zip(self.lanes, e)]

    def remove(self, element):
        e = self._expand(element)
        self.lanes = [(a - b) & 0xFFFF for a, b in zip(self.lanes, e)]

    def to_bytes(self):
        out = bytearray(2 * LANES)
        for i, lane in enumerate(self.lanes):
            out[2 * i] = lane & 0xFF
            out[2 * i + 1] = lane >> 8
        return bytes(out)

    def digest(self):
        return 'lthash16-sha256-' + hashlib.sha256(self.to_bytes()).hexdigest()


# ---------------------------------------------------------------- state hash (§3, §4)

SECTIONS = [
    'meta',
    'configuration',
    'boot',
    'ingestion',
    'council',
    'environment',
    'execution',
    'control',
    'policy',
    'epoch',
    'hlc_last',
]
HASHED_ROW_FIELDS = ['idem_key', 'index', 'transition', 'signer', 'inputs_hash', 'outcome', 'first_seen']
UNHASHED_ROW_FIELDS = ['first_seen_ms', 'state_post_hash', 'decision_record_id']


def hashed_row(row):
    if not isinstance(row, dict):
        raise ContractError('dedupe row is not an object')
    unknown = set(row) - set(HASHED_ROW_FIELDS) - set(UNHASHED_ROW_FIELDS)
    if unknown:
        raise ContractError('dedupe row has fields outside the contract: %s' % sorted(unknown))
    missing = [f for f in HASHED_ROW_FIELDS if f not in row]
    if missing:
        raise ContractError('dedupe row lacks hashed fields: %s' % missing)
    if row['outcome'] not in ('accepted', 'quarantined'):
        raise ContractError('dedupe row outcome %r' % (row['outcome'],))
    return {f: row[f] for f in HASHED_ROW_FIELDS}


def dedupe_digest(rows):
    if not isinstance(rows, list):
        raise ContractError('dedupe must be a list of rows')
    seen = set()
    acc = LtHash16()
    for row in rows:
        h = hashed_row(row)
        if h['idem_key'] in seen:
            raise ContractError('duplicate idem_key %r in dedupe rows' % (h['idem_key'],))
        seen.add(h['idem_key'])
        acc.insert(canonical_bytes(h))
    return acc.digest()


def state_hash_input(state):
    if not isinstance(state, dict):
        raise ContractError('state must be an object')
    expected = set(SECTIONS) | {'dedupe'}
    if set(state) != expected:
        raise ContractError(
            'state sections differ from the contract: extra %s, missing %s'
            % (sorted(set(state) - expected), sorted(expected - set(state)))
        )
    combined = {name: content_hash(state[name]) for name in SECTIONS}
    combined['dedupe'] = dedupe_digest(state['dedupe'])
    return combined


def state_hash(state):
    return content_hash(state_hash_input(state))


# ---------------------------------------------------------------- main


def _no_duplicate_keys(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise ContractError('duplicate object key %r' % (k,))
        obj[k] = v
    return obj


def _no_constant(name):
    raise ContractError('%s is not JSON' % name)


def main():
    text = sys.stdin.buffer.read().decode('utf-8')
    doc = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    if not isinstance(doc, dict):
        raise ContractError('input must be an object')
    state = doc.get('state')
    values = doc.get('values', [])
    if not isinstance(values, list):
        raise ContractError('values must be a list')
    out = {
        'state_hash': None,
        'state_hash_input': None,
        'value_hashes': [content_hash(v) for v in values],
        'canonical': [canonical(v) for v in values],
    }
    if state is not None:
        combined = state_hash_input(state)
        out['state_hash_input'] = combined
        out['state_hash'] = content_hash(combined)
    sys.stdout.write(json.dumps(out, ensure_ascii=True) + '\n')


if __name__ == '__main__':
    try:
        main()
    except (ContractError, ValueError) as err:
        sys.stderr.write('reference_hash.py: %s\n' % err)
        sys.exit(2)

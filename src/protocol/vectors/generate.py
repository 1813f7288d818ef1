#!/usr/bin/env python3
"""Writes key-derivation.json and events.json: test vectors for src/protocol made by an independent
implementation (Python `cryptography` + hashlib), so the TypeScript core is checked against a second opinion,
not against itself. Run once: `python3 src/protocol/vectors/generate.py`; the output is committed as data."""
import base64, copy, hashlib, json, os
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HERE = os.path.dirname(os.path.abspath(__file__))

def canonical(obj): return json.dumps(obj, ensure_ascii=False, separators=(',', ':'), sort_keys=True).encode('utf-8')
def b64(b): return base64.b64encode(b).decode().rstrip('=')
def b64url(b): return base64.urlsafe_b64encode(b).decode().rstrip('=')
def hkdf(ikm, info): return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info.encode()).derive(ikm)
def public_key(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
def sign(seed, message): return Ed25519PrivateKey.from_private_bytes(seed).sign(message)

ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz'
def base58(data):
    n = int.from_bytes(data, 'big'); out = ''
    while n: n, r = divmod(n, 58); out = ALPHABET[r] + out
    return '1' * (len(data) - len(data.lstrip(b'\0'))) + out
def recovery_key(secret):
    raw = bytes([0x8B, 0x01]) + secret
    parity = 0
    for b in raw: parity ^= b
    text = base58(raw + bytes([parity]))
    return ' '.join(text[i:i + 4] for i in range(0, len(text), 4))

def key_derivation():
    cases = []
    for name, secret in [('counting', bytes(range(32))), ('all-ff', b'\xff' * 32), ('sha256-of-wayfarer', hashlib.sha256(b'wayfarer').digest())]:
        account_seed = hkdf(secret, 'dev.wayfarer/account-key/v1')
        root = hkdf(secret, 'dev.wayfarer/member-root/v1')
        members = []
        for room_id in ['!K3DOWWLmkHLl52yJ-vT8J5jX5wuYZati_KvC6PliIPE', '!classic:alpha.localhost:8481', '!日本語-room']:
            seed = hkdf(root, 'dev.wayfarer/member-key/v1/' + room_id)
            members.append({'room_id': room_id, 'seed_base64': b64(seed), 'member_id': '@' + b64url(public_key(seed))})
        creators = []
        for nonce in ['AAECAwQFBgcICQoLDA0ODw', 'nonce-2']:
            seed = hkdf(root, 'dev.wayfarer/member-key/v1/create/' + nonce)
            creators.append({'nonce': nonce, 'seed_base64': b64(seed), 'member_id': '@' + b64url(public_key(seed))})
        invited = []
        for nonce in ['EBESExQVFhcYGRobHB0eHw', 'pool-nonce-2']:
            seed = hkdf(root, 'dev.wayfarer/member-key/v1/invite/' + nonce)
            invited.append({'nonce': nonce, 'seed_base64': b64(seed), 'member_id': '@' + b64url(public_key(seed))})
        cases.append({
            'name': name, 'secret_hex': secret.hex(), 'recovery_key': recovery_key(secret),
            'account_key': {'seed_base64': b64(account_seed), 'public_key_urlsafe': b64url(public_key(account_seed))},
            'member_root_base64': b64(root), 'member_keys': members, 'creator_member_keys': creators,
            'invite_member_keys': invited,
        })
    return cases

# Redaction, written from the spec text independently of redaction.ts.
V11_TOP = ['event_id', 'type', 'room_id', 'sender', 'state_key', 'content', 'hashes', 'signatures', 'depth', 'prev_events', 'auth_events', 'origin_server_ts']
def redact(event, version):
    out = {k: v for k, v in event.items() if k in V11_TOP}
    content, t = event.get('content', {}), event.get('type')
    keep = {
        'm.room.member': ['membership', 'join_authorised_via_users_server'] + (['domain', 'dev.wayfarer.key_nonce'] if version == 'org.matrix.12.4430' else []),
        'm.room.join_rules': ['join_rule', 'allow'],
        'm.room.power_levels': ['ban', 'events', 'events_default', 'invite', 'kick', 'redact', 'state_default', 'users', 'users_default'],
        'm.room.history_visibility': ['history_visibility'],
        'm.room.redaction': ['redacts'],
    }
    if t == 'm.room.create': new = dict(content)
    else:
        new = {k: content[k] for k in keep.get(t, []) if k in content}
        if t == 'm.room.member' and isinstance(content.get('third_party_invite'), dict) and 'signed' in content['third_party_invite']:
            new['third_party_invite'] = {'signed': content['third_party_invite']['signed']}
    if 'content' in event: out['content'] = new
    return out

def strip(event, *keys): return {k: v for k, v in event.items() if k not in keys}
def content_hash(event): return b64(hashlib.sha256(canonical(strip(event, 'unsigned', 'signatures', 'hashes'))).digest())
def reference_hash(event, version): return b64url(hashlib.sha256(canonical(strip(redact(event, version), 'signatures', 'unsigned'))).digest())

def signed(event, version, signer, key_id, seed):
    event = copy.deepcopy(event)
    event['hashes'] = {'sha256': content_hash(event)}
    sig = sign(seed, canonical(strip(redact(event, version), 'signatures', 'unsigned')))
    event.setdefault('signatures', {}).setdefault(signer, {})[key_id] = b64(sig)
    return event

def events():
    server_seed = hashlib.sha256(b'server alpha').digest()
    member_seed = hashlib.sha256(b'member alice').digest()
    member_id = '@' + b64url(public_key(member_seed))
    out = {'server_key': {'server_name': 'alpha.localhost:8481', 'key_id': 'ed25519:a1', 'seed_base64': b64(server_seed), 'public_key_base64': b64(public_key(server_seed))},
           'member_key': {'seed_base64': b64(member_seed), 'member_id': member_id}, 'cases': []}
    # Room version 11: classic user IDs, signed by the origin server.
    v11_room = '!abc:alpha.localhost:8481'
    base11 = {'room_id': v11_room, 'sender': '@alice:alpha.localhost:8481', 'origin_server_ts': 1700000000000, 'depth': 5,
              'prev_events': ['$prev'], 'auth_events': ['$auth1', '$auth2'], 'origin': 'alpha.localhost:8481', 'unsigned': {'age': 12}}
    v11 = [
        ('message', {'type': 'm.room.message', 'content': {'msgtype': 'm.text', 'body': 'hello 👋 wörld'}}),
        ('create', {'type': 'm.room.create', 'state_key': '', 'content': {'room_version': '11', 'creator': 'x', 'm.federate': True, 'extra': {'a': 1}}}),
        ('member-with-third-party-invite', {'type': 'm.room.member', 'state_key': '@bob:beta', 'membership': 'join', 'prev_state': [],
            'content': {'membership': 'invite', 'displayname': 'Bob', 'join_authorised_via_users_server': '@alice:alpha.localhost:8481',
                        'third_party_invite': {'display_name': 'b…', 'signed': {'mxid': '@bob:beta', 'token': 't', 'signatures': {}}}}}),
        ('power-levels', {'type': 'm.room.power_levels', 'state_key': '', 'content': {'ban': 50, 'invite': 0, 'users': {'@alice:alpha.localhost:8481': 100}, 'notifications': {'room': 50}}}),
        ('join-rules', {'type': 'm.room.join_rules', 'state_key': '', 'content': {'join_rule': 'restricted', 'allow': [{'type': 'm.room_membership', 'room_id': '!other:x'}], 'extra': 1}}),
        ('redaction', {'type': 'm.room.redaction', 'redacts': '$target', 'content': {'redacts': '$target', 'reason': 'spam'}}),
        ('history-visibility', {'type': 'm.room.history_visibility', 'state_key': '', 'content': {'history_visibility': 'shared', 'x': 1}}),
        ('aliases', {'type': 'm.room.aliases', 'state_key': 'alpha', 'content': {'aliases': ['#a:alpha']}}),
    ]
    for name, fields in v11:
        event = {**copy.deepcopy(base11), **fields}
        add_case(out, '11', name, event, 'alpha.localhost:8481', 'ed25519:a1', server_seed)
    # org.matrix.12.4430: member keys sign; member events co-signed by the domain's server key.
    version = 'org.matrix.12.4430'
    create = {'type': 'm.room.create', 'state_key': '', 'sender': member_id, 'origin_server_ts': 1700000000000, 'depth': 1,
              'prev_events': [], 'auth_events': [], 'content': {'room_version': version, 'dev.wayfarer.creator_nonce': 'AAECAwQFBgcICQoLDA0ODw'}}
    create_signed = signed(create, version, member_id, 'ed25519:1', member_seed)
    room_id = '!' + reference_hash(create_signed, version)
    out['member_keys_room_id'] = room_id
    add_case(out, version, 'create', create, member_id, 'ed25519:1', member_seed, room_id=room_id)
    base = {'room_id': room_id, 'sender': member_id, 'origin_server_ts': 1700000001000, 'depth': 2,
            'prev_events': ['$' + reference_hash(create_signed, version)], 'auth_events': ['$' + reference_hash(create_signed, version)], 'unsigned': {'age': 1}}
    member = {**copy.deepcopy(base), 'type': 'm.room.member', 'state_key': member_id,
              'content': {'membership': 'join', 'localpart': 'alice', 'domain': 'alpha.localhost:8481', 'displayname': 'Alice'}}
    add_case(out, version, 'member', member, member_id, 'ed25519:1', member_seed,
             co_signer=('alpha.localhost:8481', 'ed25519:a1', server_seed))
    # A member whose key came from its invite-key pool: the nonce (like domain) survives redaction.
    invited_member = {**copy.deepcopy(base), 'type': 'm.room.member', 'state_key': member_id,
                      'content': {'membership': 'join', 'localpart': 'alice', 'domain': 'alpha.localhost:8481', 'displayname': 'Alice',
                                  'dev.wayfarer.key_nonce': 'EBESExQVFhcYGRobHB0eHw'}}
    add_case(out, version, 'member-with-key-nonce', invited_member, member_id, 'ed25519:1', member_seed,
             co_signer=('alpha.localhost:8481', 'ed25519:a1', server_seed))
    message = {**copy.deepcopy(base), 'type': 'm.room.message', 'content': {'msgtype': 'm.text', 'body': 'signed by my member key'}}
    add_case(out, version, 'message', message, member_id, 'ed25519:1', member_seed)
    power = {**copy.deepcopy(base), 'type': 'm.room.power_levels', 'state_key': '', 'content': {'users': {member_id: 100}, 'invite': 50, 'events': {}}}
    add_case(out, version, 'power-levels', power, member_id, 'ed25519:1', member_seed)
    return out

def add_case(out, version, name, event, signer, key_id, seed, co_signer=None, room_id=None):
    result = signed(event, version, signer, key_id, seed)
    if co_signer:
        result = signed(result, version, *co_signer)
    case = {'name': name, 'room_version': version, 'signer': signer, 'key_id': key_id, 'input': event,
            'content_hash': content_hash(event), 'redacted': redact(result, version),
            'reference_hash': reference_hash(result, version), 'event_id': '$' + reference_hash(result, version), 'signed': result}
    if co_signer: case['co_signer'] = {'server_name': co_signer[0], 'key_id': co_signer[1]}
    if room_id: case['room_id'] = room_id
    out['cases'].append(case)

def write(name, data):
    with open(os.path.join(HERE, name), 'w', encoding='utf-8') as f:
        json.dump(data, f, ensure_ascii=False, indent=2); f.write('\n')

write('key-derivation.json', key_derivation())
write('events.json', events())

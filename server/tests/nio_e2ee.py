"""matrix-nio with libolm (Debian's python3-matrix-nio and python3-olm) exchanging encrypted messages through
Wayfarer homeservers.

Usage: /usr/bin/python3 nio_e2ee.py BASE_URL_A BASE_URL_B ROOM_VERSION

alice is on server A, bob on server B. Steps (each result goes into one JSON object on the last line of stdout, for
the vitest wrapper to check; exits non-zero on a failed request):
  1. both upload device and one-time keys; alice creates an encrypted room and invites bob, bob joins;
  2. alice sends an encrypted message, bob decrypts it; bob answers encrypted, alice decrypts it;
  3. bob signs in on a second device: alice's client hears of it through device_lists.changed, and the next
     message reaches the new device too (olm over to-device messages across the two servers);
  4. key backup (nio has none, so libolm's PkEncryption does the spec's m.megolm_backup.v1.curve25519-aes-sha2):
     bob's first device backs up its room keys; a third device with no keys of its own restores them from the
     server and decrypts the history.
"""
import asyncio
import json
import secrets
import sys
import tempfile

import aiohttp
from nio import (AsyncClient, AsyncClientConfig, JoinResponse, KeysQueryResponse, KeysUploadResponse, LoginResponse, MegolmEvent,
                 RegisterResponse, RoomCreateResponse, RoomMessagesResponse, RoomMessageText, RoomSendResponse,
                 SyncResponse)
from nio.crypto import InboundGroupSession
from olm import PkDecryption, PkEncryption

BACKUP_ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2"


def fail(step, response):
    print(json.dumps({"failed": step, "response": repr(response)}))
    sys.exit(1)


def client(base_url, user):
    return AsyncClient(base_url, user, store_path=tempfile.mkdtemp(prefix="nio-e2ee-"),
                       config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False))


async def housekeeping(c):
    """What nio's sync_forever does between syncs: upload keys, query changed device lists, send to-device."""
    if c.should_upload_keys:
        r = await c.keys_upload()
        if not isinstance(r, KeysUploadResponse):
            fail(f"keys_upload {c.user_id}", r)
    if c.should_query_keys:
        r = await c.keys_query()
        if not isinstance(r, KeysQueryResponse):
            fail(f"keys_query {c.user_id}", r)
    await c.send_to_device_messages()


async def sync(c, timeout=0):
    r = await c.sync(timeout=timeout, full_state=c.next_batch is None)
    if not isinstance(r, SyncResponse):
        fail(f"sync {c.user_id}", r)
    await housekeeping(c)
    return r


async def wait_for_text(c, room_id, body, rounds=40):
    """Syncs until `body` arrives decrypted in the room; returns what was seen (undecryptable: '<undecryptable>')."""
    seen = []
    for _ in range(rounds):
        r = await sync(c, timeout=1000)
        room = r.rooms.join.get(room_id)
        for event in room.timeline.events if room else []:
            if isinstance(event, RoomMessageText):
                seen.append(event.body)
            elif isinstance(event, MegolmEvent):
                seen.append("<undecryptable>")
        if body in seen:
            return seen
    return seen


async def wait_until(c, check, rounds=40):
    for _ in range(rounds):
        await sync(c, timeout=1000)
        if check():
            return True
    return False


async def send(c, room_id, body):
    r = await c.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": body}, ignore_unverified_devices=True)
    if not isinstance(r, RoomSendResponse):
        fail(f"room_send {body}", r)
    return r.event_id


async def raw(c, method, path, body=None):
    async with aiohttp.ClientSession() as http:
        async with http.request(method, c.homeserver + path, json=body,
                                headers={"Authorization": f"Bearer {c.access_token}"}) as resp:
            return resp.status, await resp.json()


async def main(base_a, base_b, room_version):
    suffix = secrets.token_hex(3)
    result = {}
    alice = client(base_a, f"e2ee_alice_{suffix}")
    bob = client(base_b, f"e2ee_bob_{suffix}")
    clients = [alice, bob]
    try:
        for c, name in ((alice, "alice"), (bob, "bob")):
            r = await c.register(f"e2ee_{name}_{suffix}", "nio-password", f"{name} phone")
            if not isinstance(r, RegisterResponse):
                fail(f"register {name}", r)
            result[f"{name}_user_id"] = r.user_id
            await sync(c)

        created = await alice.room_create(name="secrets", invite=[result["bob_user_id"]], room_version=room_version,
                                          initial_state=[{"type": "m.room.encryption", "state_key": "",
                                                          "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        if not isinstance(created, RoomCreateResponse):
            fail("room_create", created)
        room_id = created.room_id
        result["room_id"] = room_id
        if not await wait_until(bob, lambda: room_id in bob.invited_rooms):
            fail("bob invited", bob.invited_rooms)
        joined = await bob.join(room_id)
        if not isinstance(joined, JoinResponse):
            fail("join", joined)
        await sync(bob)
        if not await wait_until(alice, lambda: room_id in alice.rooms and result["bob_user_id"] in alice.rooms[room_id].users):
            fail("alice sees bob join", alice.rooms.get(room_id))
        result["alice_room_encrypted"] = alice.rooms[room_id].encrypted

        # 2. Both ways.
        await send(alice, room_id, "secret one")
        result["bob_saw"] = await wait_for_text(bob, room_id, "secret one")
        await send(bob, room_id, "secret reply")
        result["alice_saw"] = await wait_for_text(alice, room_id, "secret reply")
        sent_one = [e for e in (await raw(bob, "GET", f"/_matrix/client/v3/rooms/{room_id}/messages?dir=b&limit=20"))[1]["chunk"]
                    if e["type"] == "m.room.encrypted"]
        result["stored_encrypted"] = len(sent_one)

        # 3. A new device of bob's gets the keys of messages sent after it appeared.
        bob2 = client(base_b, result["bob_user_id"])
        clients.append(bob2)
        login = await bob2.login("nio-password", device_name="bob laptop")
        if not isinstance(login, LoginResponse):
            fail("bob2 login", login)
        await sync(bob2)
        bob2_device = login.device_id
        if not await wait_until(alice, lambda: bob2_device in alice.device_store[result["bob_user_id"]]):
            fail("alice learns of bob's new device", list(alice.device_store[result["bob_user_id"]].keys()))
        result["alice_knows_bob_devices"] = sorted(alice.device_store[result["bob_user_id"]].keys())
        await send(alice, room_id, "secret two")
        result["bob2_saw"] = await wait_for_text(bob2, room_id, "secret two")

        # 4. Key backup: bob's first device backs up every room key it holds; a fresh device restores them.
        await wait_for_text(bob, room_id, "secret two")
        backup_key = PkDecryption()
        status, version = await raw(bob, "POST", "/_matrix/client/v3/room_keys/version",
                                    {"algorithm": BACKUP_ALGORITHM, "auth_data": {"public_key": backup_key.public_key}})
        if status != 200:
            fail("create backup", version)
        version = version["version"]
        encrypt = PkEncryption(backup_key.public_key)
        rooms = {}
        for session in bob.olm.inbound_group_store:
            payload = {"algorithm": "m.megolm.v1.aes-sha2", "sender_key": session.sender_key,
                       "session_key": session.export_session(session.first_known_index),
                       "sender_claimed_keys": {"ed25519": session.ed25519},
                       "forwarding_curve25519_key_chain": session.forwarding_chain}
            message = encrypt.encrypt(json.dumps(payload))
            rooms.setdefault(session.room_id, {"sessions": {}})["sessions"][session.id] = {
                "first_message_index": session.first_known_index, "forwarded_count": len(session.forwarding_chain),
                "is_verified": False,
                "session_data": {"ephemeral": message.ephemeral_key, "ciphertext": message.ciphertext, "mac": message.mac}}
        status, stored = await raw(bob, "PUT", f"/_matrix/client/v3/room_keys/keys?version={version}", {"rooms": rooms})
        if status != 200:
            fail("upload backup", stored)
        result["backup_count"] = stored["count"]

        bob3 = client(base_b, result["bob_user_id"])
        clients.append(bob3)
        login = await bob3.login("nio-password", device_name="bob new phone")
        if not isinstance(login, LoginResponse):
            fail("bob3 login", login)
        await sync(bob3)
        status, current = await raw(bob3, "GET", "/_matrix/client/v3/room_keys/version")
        if status != 200:
            fail("backup version", current)
        status, keys = await raw(bob3, "GET", f"/_matrix/client/v3/room_keys/keys?version={current['version']}")
        if status != 200:
            fail("download backup", keys)
        restored = 0
        for restored_room, room in keys["rooms"].items():
            for session_id, key in room["sessions"].items():
                data = key["session_data"]
                from olm import PkMessage
                payload = json.loads(backup_key.decrypt(PkMessage(data["ephemeral"], data["mac"], data["ciphertext"])))
                session = InboundGroupSession.import_session(payload["session_key"], payload["sender_claimed_keys"]["ed25519"],
                                                            payload["sender_key"], restored_room,
                                                            payload["forwarding_curve25519_key_chain"])
                if session.id != session_id:
                    fail("restored session id", session_id)
                if bob3.olm.inbound_group_store.add(session):
                    bob3.olm.save_inbound_group_session(session)
                restored += 1
        result["restored"] = restored
        history = await bob3.room_messages(room_id, start=bob3.next_batch, limit=50)
        if not isinstance(history, RoomMessagesResponse):
            fail("bob3 history", history)
        bodies = []
        for event in history.chunk:
            if isinstance(event, MegolmEvent):
                decrypted = bob3.decrypt_event(event)
                bodies.append(decrypted.body if isinstance(decrypted, RoomMessageText) else "<undecryptable>")
            elif isinstance(event, RoomMessageText):
                bodies.append(event.body)
        result["bob3_history"] = list(reversed(bodies))
        print(json.dumps(result))
    finally:
        for c in clients:
            await c.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))

"""matrix-nio (Debian's python3-matrix-nio) against the Wayfarer homeserver.

Usage: /usr/bin/python3 nio_client.py BASE_URL ROOM_VERSION
Registers two users, logs in again, creates a room, invites, joins, sends and syncs; prints one JSON
object with what each step returned, for the vitest wrapper to check. Exits non-zero on any failure.
"""
import asyncio
import json
import secrets
import sys

from nio import (AsyncClient, JoinResponse, LoginResponse, RegisterResponse, RoomCreateResponse,
                 RoomMessagesResponse, RoomMessageText, RoomSendResponse, SyncResponse)


def fail(step, response):
    print(json.dumps({"failed": step, "response": repr(response)}))
    sys.exit(1)


async def main(base_url, room_version):
    suffix = secrets.token_hex(3)
    alice = AsyncClient(base_url, f"nio_alice_{suffix}")
    bob = AsyncClient(base_url, f"nio_bob_{suffix}")
    result = {}
    try:
        for client, name in ((alice, "alice"), (bob, "bob")):
            registered = await client.register(f"nio_{name}_{suffix}", "nio-password", f"nio {name}")
            if not isinstance(registered, RegisterResponse):
                fail(f"register {name}", registered)
            result[f"{name}_user_id"] = registered.user_id
        await alice.logout()
        await alice.close()
        alice = AsyncClient(base_url, result["alice_user_id"])
        login = await alice.login("nio-password", device_name="nio again")
        if not isinstance(login, LoginResponse):
            fail("login", login)
        result["login_device_id"] = login.device_id

        created = await alice.room_create(name="nio room", invite=[result["bob_user_id"]],
                                          initial_state=[], room_version=room_version)
        if not isinstance(created, RoomCreateResponse):
            fail("room_create", created)
        room_id = created.room_id
        result["room_id"] = room_id

        first = await bob.sync(timeout=0, full_state=True)
        if not isinstance(first, SyncResponse):
            fail("bob initial sync", first)
        result["bob_invited"] = room_id in first.rooms.invite
        joined = await bob.join(room_id)
        if not isinstance(joined, JoinResponse):
            fail("join", joined)

        sent = await alice.room_send(room_id, "m.room.message", {"msgtype": "m.text", "body": "hello from nio"})
        if not isinstance(sent, RoomSendResponse):
            fail("room_send", sent)
        result["event_id"] = sent.event_id

        synced = await bob.sync(timeout=10000, since=first.next_batch)
        if not isinstance(synced, SyncResponse):
            fail("bob incremental sync", synced)
        room = synced.rooms.join.get(room_id)
        bodies = [e.body for e in room.timeline.events if isinstance(e, RoomMessageText)] if room else []
        senders = [e.sender for e in room.timeline.events if isinstance(e, RoomMessageText)] if room else []
        result["bob_saw"] = bodies
        result["bob_saw_senders"] = senders

        history = await bob.room_messages(room_id, start=synced.next_batch, limit=50)
        if not isinstance(history, RoomMessagesResponse):
            fail("room_messages", history)
        result["history_types"] = [type(e).__name__ for e in history.chunk]
        print(json.dumps(result))
    finally:
        await alice.close()
        await bob.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

"""Other people, on a client no one here wrote: matrix-nio with libolm (Debian's python3-matrix-nio and python3-olm,
run with Debian's /usr/bin/python3), driven one JSON command a line on stdin, one JSON answer a line on stdout.

Every client syncs in the background the way nio's sync_forever does (sync, upload keys, query changed device lists,
send queued to-device messages), and notes every message it receives: decrypted ("decrypted": true), in the clear
("decrypted": false) or not decryptable ("body": "<undecryptable>"). Commands (each names its client with "name"):

  register      {base, user}                    a new account with a password; answers user_id, device_id
  restore       {base, user_id, device_id, token}  an existing session (a device another sign-in made)
  create_room   {version, room_name, invite, preset?}  an encrypted room (m.megolm.v1.aes-sha2); answers room_id
  join          {room}                          waits for the invite, joins
  wait_member   {room, user}                    waits until `user` is joined in the client's view of the room
  send          {room, body}                    sends an encrypted message; answers event_id and shared_with
  wait_text     {room, body}                    waits until `body` arrived; answers it ({sender, decrypted}) and all seen
  wait_device   {user, device?}                 waits until the device's (or any of the user's) keys are known
  shared_with   {room}                          the [user_id, device_id] pairs the current room key went to
  sessions      {room}                          the IDs of the room keys (megolm sessions) the client holds
  quit

An answer is {"id", "ok": true, ...} or {"id", "ok": false, "error"}; a wait gives up after "timeout" seconds (20).
"""
import asyncio
import json
import sys
import tempfile

from nio import (AsyncClient, AsyncClientConfig, JoinResponse, KeysQueryResponse, KeysUploadResponse, MegolmEvent,
                 RegisterResponse, RoomCreateResponse, RoomPreset, RoomMessageText, RoomSendResponse, SyncResponse)


class Failed(Exception):
    pass


class Peer:
    def __init__(self, base_url, user):
        self.client = AsyncClient(base_url, user, store_path=tempfile.mkdtemp(prefix="nio-peer-"),
                                  config=AsyncClientConfig(encryption_enabled=True, store_sync_tokens=False))
        self.lock = asyncio.Lock()
        self.seen = []
        self.loop_task = None
        self.error = None
        self.client.add_event_callback(self.on_message, (RoomMessageText, MegolmEvent))

    async def on_message(self, room, event):
        if isinstance(event, RoomMessageText):
            self.seen.append({"room": room.room_id, "sender": event.sender, "body": event.body,
                              "decrypted": bool(event.decrypted)})
        else:
            self.seen.append({"room": room.room_id, "sender": event.sender, "body": "<undecryptable>",
                              "decrypted": False})

    async def housekeeping(self):
        c = self.client
        if c.should_upload_keys:
            r = await c.keys_upload()
            if not isinstance(r, KeysUploadResponse):
                raise Failed(f"keys_upload {c.user_id}: {r!r}")
        if c.should_query_keys:
            r = await c.keys_query()
            if not isinstance(r, KeysQueryResponse):
                raise Failed(f"keys_query {c.user_id}: {r!r}")
        await c.send_to_device_messages()

    async def sync_once(self, timeout=300):
        async with self.lock:
            r = await self.client.sync(timeout=timeout, full_state=self.client.next_batch is None)
            if not isinstance(r, SyncResponse):
                raise Failed(f"sync {self.client.user_id}: {r!r}")
            await self.housekeeping()

    def start(self):
        async def loop():
            try:
                while True:
                    await self.sync_once()
                    await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - reported with the next command
                self.error = repr(e)
        self.loop_task = asyncio.create_task(loop())

    async def until(self, check, timeout, what):
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if self.error:
                raise Failed(f"{self.client.user_id} stopped syncing: {self.error}")
            value = check()
            if value:
                return value
            await asyncio.sleep(0.1)
        raise Failed(f"{self.client.user_id}: timed out waiting for {what}")

    async def close(self):
        if self.loop_task:
            self.loop_task.cancel()
        await self.client.close()


peers = {}


async def handle(cmd):
    name = cmd.get("name")
    timeout = cmd.get("timeout", 20)
    op = cmd["cmd"]
    if op == "register":
        peer = Peer(cmd["base"], cmd["user"])
        r = await peer.client.register(cmd["user"], "nio-password", f"{cmd['user']} nio")
        if not isinstance(r, RegisterResponse):
            raise Failed(f"register {cmd['user']}: {r!r}")
        peers[name] = peer
        await peer.sync_once(0)
        peer.start()
        return {"user_id": r.user_id, "device_id": r.device_id}
    if op == "restore":
        peer = Peer(cmd["base"], cmd["user_id"])
        peer.client.restore_login(cmd["user_id"], cmd["device_id"], cmd["token"])
        peers[name] = peer
        await peer.sync_once(0)
        peer.start()
        return {"user_id": cmd["user_id"], "device_id": cmd["device_id"]}
    if op == "quit":
        for p in peers.values():
            await p.close()
        return {}
    peer = peers[name]
    c = peer.client
    if op == "create_room":
        async with peer.lock:
            r = await c.room_create(name=cmd["room_name"], invite=cmd.get("invite", []), room_version=cmd["version"],
                                    preset=RoomPreset(cmd["preset"]) if cmd.get("preset") else None,
                                    initial_state=[{"type": "m.room.encryption", "state_key": "",
                                                    "content": {"algorithm": "m.megolm.v1.aes-sha2"}}])
        if not isinstance(r, RoomCreateResponse):
            raise Failed(f"room_create: {r!r}")
        await peer.until(lambda: r.room_id in c.rooms, timeout, "the new room in sync")
        return {"room_id": r.room_id, "encrypted": c.rooms[r.room_id].encrypted}
    if op == "join":
        room_id = cmd["room"]
        await peer.until(lambda: room_id in c.invited_rooms, timeout, f"the invite to {room_id}")
        async with peer.lock:
            r = await c.join(room_id)
        if not isinstance(r, JoinResponse):
            raise Failed(f"join: {r!r}")
        await peer.until(lambda: room_id in c.rooms, timeout, f"{room_id} joined in sync")
        return {"encrypted": c.rooms[room_id].encrypted}
    if op == "wait_member":
        room_id, user = cmd["room"], cmd["user"]
        await peer.until(lambda: room_id in c.rooms and user in c.rooms[room_id].users
                         and user not in c.rooms[room_id].invited_users, timeout, f"{user} joined in {room_id}")
        return {"members": sorted(c.rooms[room_id].users)}
    if op == "send":
        async with peer.lock:
            r = await c.room_send(cmd["room"], "m.room.message", {"msgtype": "m.text", "body": cmd["body"]},
                                  ignore_unverified_devices=True)
            # The room key's to-device messages go now, not at the next sync.
            await c.send_to_device_messages()
        if not isinstance(r, RoomSendResponse):
            raise Failed(f"room_send: {r!r}")
        return {"event_id": r.event_id, "shared_with": shared_with(c, cmd["room"])}
    if op == "wait_text":
        room_id, body = cmd["room"], cmd["body"]
        try:
            found = await peer.until(lambda: next((m for m in peer.seen if m["room"] == room_id and m["body"] == body), None),
                                     timeout, f"{body!r}")
        except Failed as e:
            raise Failed(f"{e}; seen: {[m['body'] for m in peer.seen if m['room'] == room_id]}")
        return {"sender": found["sender"], "decrypted": found["decrypted"],
                "seen": [m["body"] for m in peer.seen if m["room"] == room_id]}
    if op == "wait_device":
        # A member seen in sync is not yet a device to encrypt for: the key query for a new member (or after a
        # device-list change) may still be on its way. Waiting here is what a client's next send would see.
        user, device = cmd["user"], cmd.get("device")
        await peer.until(lambda: any(device in (None, d.id) for d in c.device_store.active_user_devices(user)), timeout,
                         f"{user}'s device {device or '(any)'}")
        return {"devices": sorted(d.id for d in c.device_store.active_user_devices(user))}
    if op == "shared_with":
        return {"shared_with": shared_with(c, cmd["room"])}
    if op == "sessions":
        return {"sessions": sorted(session.id for session in c.olm.inbound_group_store if session.room_id == cmd["room"])}
    raise Failed(f"unknown command {op}")


def shared_with(c, room_id):
    session = c.olm.outbound_group_sessions.get(room_id)
    return sorted([list(pair) for pair in session.users_shared_with]) if session else []


async def main():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        cmd = json.loads(line)
        try:
            answer = {"id": cmd.get("id"), "ok": True, **(await handle(cmd))}
        except Exception as e:  # noqa: BLE001 - every failure goes back to the test
            answer = {"id": cmd.get("id"), "ok": False, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)
        if cmd["cmd"] == "quit":
            break
    for p in peers.values():
        await p.close()


if __name__ == "__main__":
    asyncio.run(main())

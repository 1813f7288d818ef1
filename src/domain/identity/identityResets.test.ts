import { describe, expect, it, vi } from 'vitest';
import { createClient, MatrixEvent, Room } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/CryptoEvent.js';
import { UserVerificationStatus } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { createIdentityTrustStore, createTrustReader, followIdentityResets, identityWarningOf } from './identityResets';
import { createLinkNoticeStore, localLinkNoticeStorage, noticesOfRoom } from './linkNotices';
import { describeLinkNotice, placeLinkNotices } from '../room/identityNotices';
import type { TimelineEvent } from '../room/timeline';
import { t } from '../../i18n';

function encryptedRoom(client: ReturnType<typeof createClient>, roomId: string, encrypted: boolean): Room {
  const room = new Room(roomId, client, '@me:alpha');
  const state = (type: string, stateKey: string, content: Record<string, unknown>) =>
    new MatrixEvent({ type, state_key: stateKey, sender: '@me:alpha', event_id: `$${type}${stateKey}`, room_id: roomId, content });
  room.currentState.setStateEvents([
    state('m.room.create', '', { room_version: '11' }),
    state('m.room.member', '@me:alpha', { membership: 'join' }),
    state('m.room.member', '@bob:beta', { membership: 'join' }),
    ...(encrypted ? [state('m.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' })] : []),
  ]);
  room.updateMyMembership('join');
  return room;
}

describe('followIdentityResets', () => {
  it("a pinned identity that changed is a notice in each encrypted room shared with them, once; a verified one's is a warning", () => {
    const client = createClient({ baseUrl: 'http://alpha.localhost', userId: '@me:alpha' });
    const rooms = [encryptedRoom(client, '!e:alpha', true), encryptedRoom(client, '!plain:alpha', false)];
    client.getRooms = () => rooms;
    const store = createLinkNoticeStore();
    const stop = followIdentityResets(client, store, createIdentityTrustStore(store));

    const changed = new UserVerificationStatus(false, false, false, true);
    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', changed);
    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', changed); // reported again: still one notice
    const notices = noticesOfRoom(store.getState(), '!e:alpha');
    expect(notices.map((n) => n.kind)).toEqual(['identityReset']);
    expect(noticesOfRoom(store.getState(), '!plain:alpha')).toEqual([]);
    expect(t(describeLinkNotice(notices[0]!, 'Bob'))).toBe(
      'Bob’s identity was reset: messages to them are now encrypted for their new identity',
    );

    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', new UserVerificationStatus(false, false, false, false)); // pinned
    expect(noticesOfRoom(store.getState(), '!e:alpha').map((n) => n.resolved)).toEqual([true]); // its action is gone
    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', new UserVerificationStatus(false, true, false, true)); // was verified
    const after = noticesOfRoom(store.getState(), '!e:alpha');
    expect(after.map((n) => n.kind)).toEqual(['identityReset', 'verifiedIdentityReset']);
    expect(after.map((n) => n.userId)).toEqual(['@bob:beta', '@bob:beta']);
    expect(t(describeLinkNotice(after[1]!, 'Bob'))).toMatch(/^⚠ Bob’s verified identity was reset/);
    stop();
  });
});

/** A Storage in memory, as the browser's localStorage. */
function memoryStorage(): Storage {
  const map = new Map<string, string>();
  return {
    get length() {
      return map.size;
    },
    clear: () => map.clear(),
    getItem: (key) => map.get(key) ?? null,
    key: (i) => [...map.keys()][i] ?? null,
    removeItem: (key) => void map.delete(key),
    setItem: (key, value) => void map.set(key, value),
  };
}

/** The crypto calls the trust store makes, over one user's identity as the Rust crypto keeps it. */
function cryptoOf(identity: { known: boolean; verified: boolean; wasVerified: boolean; pinnedIsCurrent: boolean }) {
  const calls: string[] = [];
  const status = () =>
    new UserVerificationStatus(identity.verified, identity.wasVerified, false, !identity.verified && !identity.pinnedIsCurrent);
  return {
    calls,
    crypto: {
      userHasCrossSigningKeys: async () => identity.known,
      getUserVerificationStatus: async () => (identity.known ? status() : new UserVerificationStatus(false, false, false)),
      async pinCurrentUserIdentity(userId: string) {
        calls.push(`pin ${userId}`);
        identity.pinnedIsCurrent = true;
      },
      // The Rust crypto's withdraw_verification also pins the current identity.
      async withdrawVerificationRequirement(userId: string) {
        calls.push(`withdraw ${userId}`);
        identity.wasVerified = false;
        identity.pinnedIsCurrent = true;
      },
    },
  };
}

const message = (id: string, ts: number): TimelineEvent => ({
  id,
  type: 'm.room.message',
  sender: '@bob:beta',
  identity: '@bob:beta',
  ts,
  content: { msgtype: 'm.text', body: id },
  redacted: false,
  status: 'sent',
});

describe('identity warnings and their actions', () => {
  it('follows Element: a verified identity no longer verified outranks a pin violation; verified or pinned is no warning', () => {
    expect(identityWarningOf(new UserVerificationStatus(false, true, false, true))).toBe('verificationViolation');
    expect(identityWarningOf(new UserVerificationStatus(false, true, false, false))).toBe('verificationViolation');
    expect(identityWarningOf(new UserVerificationStatus(false, false, false, true))).toBe('pinViolation');
    expect(identityWarningOf(new UserVerificationStatus(true, true, false, false))).toBeUndefined();
    expect(identityWarningOf(new UserVerificationStatus(false, false, false, false))).toBeUndefined();
  });

  it('offers OK on a changed pinned identity; OK pins it and the action is gone, also for the next session', async () => {
    const storage = memoryStorage();
    const store = createLinkNoticeStore(localLinkNoticeStorage('@me:alpha', storage));
    const trust = createIdentityTrustStore(store);
    store
      .getState()
      .add('!e:alpha', { identity: '@bob:beta', userId: '@bob:beta', kind: 'identityReset', from: 'verified', to: 'verified' }, 150);
    const rows = () =>
      placeLinkNotices([message('$a', 100), message('$b', 200)], noticesOfRoom(store.getState(), '!e:alpha'), () => 'Bob', true).map(
        (p) => p.row,
      );
    expect(rows().map((r) => r.identityAction)).toEqual([{ userId: '@bob:beta', action: 'pin' }]);

    const { crypto, calls } = cryptoOf({ known: true, verified: false, wasVerified: false, pinnedIsCurrent: false });
    const client = { getCrypto: () => crypto } as never;
    const approving = trust.getState().approve(client, '@bob:beta', 'pin');
    expect(trust.getState().pending['@bob:beta']).toBe(true);
    await approving;
    expect(calls).toEqual(['pin @bob:beta']);
    expect(trust.getState().pending).toEqual({});
    expect(trust.getState().trust['@bob:beta']).toEqual({ verified: false });
    expect(rows().map((r) => r.identityAction)).toEqual([undefined]);
    expect(rows().map((r) => r.text)).toHaveLength(1); // the notice itself stays

    const next = createLinkNoticeStore(localLinkNoticeStorage('@me:alpha', storage));
    expect(noticesOfRoom(next.getState(), '!e:alpha').map((n) => n.resolved)).toEqual([true]);
  });

  it('offers Withdraw verification on a changed verified identity; withdrawing resolves it', async () => {
    const store = createLinkNoticeStore();
    const trust = createIdentityTrustStore(store);
    store
      .getState()
      .add('!e:alpha', { identity: '@bob:beta', userId: '@bob:beta', kind: 'verifiedIdentityReset', from: 'verified', to: 'verified' });
    const notices = () => noticesOfRoom(store.getState(), '!e:alpha');
    expect(placeLinkNotices([message('$a', 0)], notices(), () => 'Bob', true)[0]!.row.identityAction).toEqual({
      userId: '@bob:beta',
      action: 'withdraw',
    });
    const { crypto, calls } = cryptoOf({ known: true, verified: false, wasVerified: true, pinnedIsCurrent: false });
    await trust.getState().approve({ getCrypto: () => crypto } as never, '@bob:beta', 'withdraw');
    expect(calls).toEqual(['withdraw @bob:beta']);
    expect(notices().map((n) => n.resolved)).toEqual([true]);
  });

  it('a report read before Withdraw and delivered after it does not bring the warning back; the newest report counts', async () => {
    const store = createLinkNoticeStore();
    const trust = createIdentityTrustStore(store);
    const identity = { known: true, verified: false, wasVerified: true, pinnedIsCurrent: false };
    const { crypto } = cryptoOf(identity);
    const client = createClient({ baseUrl: 'http://alpha.localhost', userId: '@me:alpha' });
    const rooms = [encryptedRoom(client, '!e:alpha', true)];
    client.getRooms = () => rooms;
    client.getCrypto = () => crypto as never;
    const stop = followIdentityResets(client, store, trust);
    const notices = () => noticesOfRoom(store.getState(), '!e:alpha');
    const violation = new UserVerificationStatus(false, true, false, true);

    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', violation);
    await vi.waitFor(() => expect(notices().map((n) => n.kind)).toEqual(['verifiedIdentityReset']));
    await trust.getState().approve(client, '@bob:beta', 'withdraw');
    expect(notices().map((n) => n.resolved)).toEqual([true]);

    // The SDK's status for an identity update it read before the withdrawal, delivered now.
    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', violation);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(notices().map((n) => n.resolved)).toEqual([true]);
    expect(trust.getState().trust['@bob:beta']).toEqual({ verified: false });

    // A real new change (Bob verified again, then reset again) still warns, once, from the newest report.
    identity.wasVerified = true;
    identity.pinnedIsCurrent = false;
    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', new UserVerificationStatus(false, false, false, false));
    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', violation);
    await vi.waitFor(() => expect(notices().map((n) => n.kind)).toEqual(['verifiedIdentityReset', 'verifiedIdentityReset']));
    expect(notices().map((n) => n.resolved)).toEqual([true, undefined]);
    stop();
  });

  it('keeps the action when the crypto refuses, and says why', async () => {
    const store = createLinkNoticeStore();
    const trust = createIdentityTrustStore(store);
    store
      .getState()
      .add('!e:alpha', { identity: '@bob:beta', userId: '@bob:beta', kind: 'identityReset', from: 'verified', to: 'verified' });
    const crypto = {
      pinCurrentUserIdentity: async () => {
        throw new Error('Cannot pin identity of unknown user');
      },
    };
    await trust.getState().approve({ getCrypto: () => crypto } as never, '@bob:beta', 'pin');
    expect(trust.getState().failed['@bob:beta']).toBe('Cannot pin identity of unknown user');
    expect(noticesOfRoom(store.getState(), '!e:alpha').map((n) => n.resolved)).toEqual([undefined]);
  });

  it('checks the notices left open at sign-in: resolved elsewhere is resolved here; an identity the crypto lacks is left alone', async () => {
    const store = createLinkNoticeStore();
    store
      .getState()
      .add('!e:alpha', { identity: '@bob:beta', userId: '@bob:beta', kind: 'identityReset', from: 'verified', to: 'verified' });
    store.getState().add('!e:alpha', { identity: '@cy:beta', userId: '@cy:beta', kind: 'identityReset', from: 'verified', to: 'verified' });
    const bob = cryptoOf({ known: true, verified: false, wasVerified: false, pinnedIsCurrent: true }).crypto;
    const cy = cryptoOf({ known: false, verified: false, wasVerified: false, pinnedIsCurrent: false }).crypto;
    const client = createClient({ baseUrl: 'http://alpha.localhost', userId: '@me:alpha' });
    client.getCrypto = () =>
      ({
        userHasCrossSigningKeys: (userId: string) => (userId === '@bob:beta' ? bob : cy).userHasCrossSigningKeys(),
        getUserVerificationStatus: (userId: string) => (userId === '@bob:beta' ? bob : cy).getUserVerificationStatus(),
      }) as never;
    const stop = followIdentityResets(client, store, createIdentityTrustStore(store));
    await vi.waitFor(() => expect(noticesOfRoom(store.getState(), '!e:alpha').map((n) => n.resolved)).toEqual([true, undefined]));
    stop();
  });
});

describe('createTrustReader: the member list reads each identity once', () => {
  it('reads one at a time, each person once, none dropped when more are asked for mid-read, up to the limit', async () => {
    const reads: string[] = [];
    let release: (() => void) | undefined;
    const crypto = {
      userHasCrossSigningKeys: async () => true,
      async getUserVerificationStatus(userId: string) {
        reads.push(userId);
        if (userId === '@a:x') await new Promise<void>((resolve) => (release = resolve)); // a slow first read
        return new UserVerificationStatus(userId === '@b:x', userId === '@b:x', false, false);
      },
    };
    const trust = createIdentityTrustStore(createLinkNoticeStore());
    const reader = createTrustReader({ getCrypto: () => crypto } as never, trust, 3);
    reader.want(['@a:x', '@b:x']);
    await vi.waitFor(() => expect(release).toBeDefined());
    reader.want(['@a:x', '@b:x', '@c:x', '@d:x']); // the member list changed while @a:x was being read
    release!();
    await vi.waitFor(() => expect(reads).toEqual(['@a:x', '@b:x', '@c:x']));
    expect(trust.getState().trust['@b:x']).toEqual({ verified: true });
    reader.want(['@a:x', '@b:x', '@c:x', '@d:x', '@e:x']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(reads).toEqual(['@a:x', '@b:x', '@c:x']); // asked once each; the limit reached
  });

  it('reads no one already known, and nothing after stop', async () => {
    const reads: string[] = [];
    const crypto = {
      userHasCrossSigningKeys: async () => true,
      getUserVerificationStatus: async (userId: string) => (reads.push(userId), new UserVerificationStatus(true, true, false, false)),
    };
    const trust = createIdentityTrustStore(createLinkNoticeStore());
    trust.getState().note('@known:x', new UserVerificationStatus(true, true, false, false));
    const reader = createTrustReader({ getCrypto: () => crypto } as never, trust);
    reader.want(['@known:x']);
    reader.stop();
    reader.want(['@late:x']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(reads).toEqual([]);
  });
});

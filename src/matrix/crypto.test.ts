import { describe, expect, it } from 'vitest';
import { MatrixError } from 'matrix-js-sdk';
import { uploadDeviceSigningKeysAuth } from './crypto';

const uia = (session: string, stages: string[][]) =>
  new MatrixError({ errcode: 'M_FORBIDDEN', error: '', session, flows: stages.map((s) => ({ stages: s })), params: {} }, 401);

describe('uploadDeviceSigningKeysAuth (the cross-signing upload behind user-interactive auth)', () => {
  it('answers the offered stage in the session the server gave, once', async () => {
    const sent: unknown[] = [];
    const auth = uploadDeviceSigningKeysAuth(async ({ stages }) =>
      stages.some((s) => s[0] === 'dev.wayfarer.login.account_key')
        ? { type: 'dev.wayfarer.login.account_key', signature: 'sig' }
        : undefined,
    );
    await auth(async (body) => {
      sent.push(body);
      if (!body) throw uia('S1', [['m.login.password'], ['dev.wayfarer.login.account_key']]);
      return {};
    });
    expect(sent).toEqual([null, { type: 'dev.wayfarer.login.account_key', signature: 'sig', session: 'S1' }]);
  });

  it('a server that takes the first upload without auth is not asked twice; no answer keeps the refusal', async () => {
    let calls = 0;
    await uploadDeviceSigningKeysAuth(async () => undefined)(async () => {
      calls += 1;
      return {};
    });
    expect(calls).toBe(1);
    await expect(
      uploadDeviceSigningKeysAuth(async () => undefined)(async () => {
        throw uia('S2', [['m.login.sso']]);
      }),
    ).rejects.toBeInstanceOf(MatrixError);
  });
});

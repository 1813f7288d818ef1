// Without --open-registration, registering needs a registration token (m.login.registration_token);
// without a configured token, registration is off.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { TestClient } from '../testing/http-client';
import { assertMatchesSpec } from '../testing/openapi';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let withToken: RunningHomeserver;
let closed: RunningHomeserver;

beforeAll(async () => {
  [withToken, closed] = await Promise.all([
    startHomeserver({ serverName: 'alpha.localhost:18509', openRegistration: false, extraArgs: ['--registration-token', 'let-me-in'] }),
    startHomeserver({ serverName: 'beta.localhost:18510', openRegistration: false }),
  ]);
});
afterAll(async () => {
  await withToken?.dispose();
  await closed?.dispose();
});

describe('closed registration', () => {
  it('refuses the dummy flow and asks for a registration token', async () => {
    const client = new TestClient(withToken.baseUrl);
    const challenge = await client.post('/_matrix/client/v3/register', { username: 'dan', password: 'pw' });
    expect(challenge.status).toBe(401);
    assertMatchesSpec('/register', 'post', 401, challenge.body);
    expect(challenge.body.flows.map((f: { stages: string[] }) => f.stages[0])).toContain('m.login.registration_token');
    expect(challenge.body.flows.map((f: { stages: string[] }) => f.stages[0])).not.toContain('m.login.dummy');
    const dummy = await client.post('/_matrix/client/v3/register', { username: 'dan', password: 'pw', auth: { type: 'm.login.dummy' } });
    expect(dummy.status).toBe(401);
    const wrong = await client.post('/_matrix/client/v3/register', {
      username: 'dan',
      password: 'pw',
      auth: { type: 'm.login.registration_token', token: 'guess' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');
    const right = await client.post('/_matrix/client/v3/register', {
      username: 'dan',
      password: 'pw',
      auth: { type: 'm.login.registration_token', token: 'let-me-in' },
    });
    expect(right.status).toBe(200);
    expect(right.body.user_id).toBe('@dan:alpha.localhost:18509');
  });

  it('refuses password registration without a token', async () => {
    const reply = await new TestClient(closed.baseUrl).post('/_matrix/client/v3/register', {
      username: 'eve',
      password: 'pw',
      auth: { type: 'm.login.dummy' },
    });
    expect([401, 403]).toContain(reply.status);
    const stages = (reply.body.flows ?? []).flatMap((f: { stages: string[] }) => f.stages);
    expect(stages).not.toContain('m.login.dummy');
    expect(stages).not.toContain('m.login.registration_token');
  });
});

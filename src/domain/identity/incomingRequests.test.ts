import { describe, expect, it } from 'vitest';
import { MAX_WAITING_REQUESTS, queueRequest } from './incomingRequests';

const request = (otherUserId: string, n = 1) => ({ otherUserId, id: `${otherUserId}#${n}` });

describe('queueRequest: one verification dialog at a time, and nobody can flood it', () => {
  it('shows the first request; a request from someone else waits instead of taking its place', () => {
    const bob = request('@bob:alpha');
    const eve = request('@eve:evil');
    let queue = queueRequest([], bob, false);
    expect(queue).toEqual([bob]);
    queue = queueRequest(queue, eve, true); // Alice is comparing emoji with Bob
    expect(queue).toEqual([bob, eve]);
    queue = queueRequest(queue, request('@carol:beta'), false); // not yet accepted: still not replaced by someone else
    expect(queue[0]).toBe(bob);
  });

  it("one person's repeated requests take one place: the newest replaces theirs while it waits", () => {
    const bob = request('@bob:alpha');
    let queue: readonly ReturnType<typeof request>[] = [bob];
    for (let n = 1; n <= 50; n++) queue = queueRequest(queue, request('@eve:evil', n), true);
    expect(queue).toEqual([bob, request('@eve:evil', 50)]);
  });

  it('a newer request from the person shown replaces it until it is accepted, then waits behind it', () => {
    const first = request('@bob:alpha', 1);
    const second = request('@bob:alpha', 2);
    expect(queueRequest([first], second, false)).toEqual([second]);
    expect(queueRequest([first], second, true)).toEqual([first, second]);
  });

  it('at most a few people wait; more are dropped, and the same request offered twice counts once', () => {
    let queue: readonly ReturnType<typeof request>[] = [];
    for (let n = 0; n < MAX_WAITING_REQUESTS + 3; n++) queue = queueRequest(queue, request(`@user${n}:evil`), false);
    expect(queue.map((r) => r.otherUserId)).toEqual(Array.from({ length: MAX_WAITING_REQUESTS }, (_, n) => `@user${n}:evil`));
    const full = queue;
    expect(queueRequest(full, request('@late:evil'), false)).toBe(full);
    expect(queueRequest(full, full[2]!, false)).toBe(full);
  });
});

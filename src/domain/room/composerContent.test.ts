import { describe, expect, it } from 'vitest';
import { buildMessageContent, editableText } from './composerContent';

describe('buildMessageContent', () => {
  it('sends text, and nothing for blank input', () => {
    expect(buildMessageContent(' hello ', { kind: 'normal' })).toEqual({ msgtype: 'm.text', body: 'hello', 'm.mentions': {} });
    expect(buildMessageContent(' \n ', { kind: 'normal' })).toBeUndefined();
  });

  it('makes /me an emote and lets // escape it', () => {
    expect(buildMessageContent('/me waves', { kind: 'normal' })).toEqual({ msgtype: 'm.emote', body: 'waves', 'm.mentions': {} });
    expect(buildMessageContent('//me is literal', { kind: 'normal' })?.body).toBe('/me is literal');
  });

  it('adds the reply relation', () => {
    const content = buildMessageContent('yes', { kind: 'reply', eventId: '$q' });
    expect(content?.['m.relates_to']).toEqual({ 'm.in_reply_to': { event_id: '$q' } });
  });

  it('builds spec edits with new content and a fallback body', () => {
    const content = buildMessageContent('**fixed**', { kind: 'edit', eventId: '$orig' });
    expect(content).toMatchObject({
      body: '* **fixed**',
      formatted_body: '* <strong>fixed</strong>',
      'm.new_content': { msgtype: 'm.text', body: '**fixed**', formatted_body: '<strong>fixed</strong>' },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$orig' },
    });
  });

  it('sends m.mentions with a matrix.to link in formatted_body, and a plain body that reads as the pills', () => {
    const content = buildMessageContent(
      'hi [Bob](https://matrix.to/#/@bob:beta) and @room',
      { kind: 'normal' },
      { me: '@a:alpha', canMentionRoom: true },
    );
    expect(content).toEqual({
      msgtype: 'm.text',
      body: 'hi Bob and @room',
      format: 'org.matrix.custom.html',
      formatted_body: 'hi <a href="https://matrix.to/#/@bob:beta">Bob</a> and @room',
      'm.mentions': { user_ids: ['@bob:beta'], room: true },
    });
  });

  it('a reply mentions the replied-to sender; an edit notifies only the newly mentioned', () => {
    const reply = buildMessageContent(
      'yes',
      { kind: 'reply', eventId: '$q' },
      { me: '@a:alpha', canMentionRoom: false, replyToUser: '@b:beta' },
    );
    expect(reply?.['m.mentions']).toEqual({ user_ids: ['@b:beta'] });
    const edit = buildMessageContent(
      '[B](https://matrix.to/#/@b:beta) [C](https://matrix.to/#/@c:gamma)',
      { kind: 'edit', eventId: '$o' },
      { me: '@a:alpha', canMentionRoom: false, previous: { body: 'B', 'm.mentions': { user_ids: ['@b:beta'] } } },
    );
    expect(edit?.['m.mentions']).toEqual({ user_ids: ['@c:gamma'] });
    expect((edit!['m.new_content'] as Record<string, unknown>)['m.mentions']).toEqual({ user_ids: ['@b:beta', '@c:gamma'] });
    expect(edit?.body).toBe('* B C');
  });

  it('an edited mention keeps its link: the composer gets the Markdown link back from formatted_body', () => {
    const sent = buildMessageContent(
      'hi [Bob](https://matrix.to/#/@bob:beta) and **Bob**',
      { kind: 'normal' },
      { me: '@a:x', canMentionRoom: false },
    );
    expect(sent?.body).toBe('hi Bob and **Bob**');
    expect(editableText(sent!)).toBe('hi [Bob](https://matrix.to/#/@bob:beta) and **Bob**');
    expect(editableText({ msgtype: 'm.text', body: 'plain [x](y)' })).toBe('plain [x](y)');
  });

  it('puts emotes back with /me when editing', () => {
    expect(editableText({ msgtype: 'm.emote', body: 'waves' })).toBe('/me waves');
    expect(editableText({ msgtype: 'm.text', body: 'hi' })).toBe('hi');
  });
});

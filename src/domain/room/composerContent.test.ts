import { describe, expect, it } from 'vitest';
import { buildMessageContent, editableText } from './composerContent';

describe('buildMessageContent', () => {
  it('sends text, and nothing for blank input', () => {
    expect(buildMessageContent(' hello ', { kind: 'normal' })).toEqual({ msgtype: 'm.text', body: 'hello' });
    expect(buildMessageContent(' \n ', { kind: 'normal' })).toBeUndefined();
  });

  it('makes /me an emote and lets // escape it', () => {
    expect(buildMessageContent('/me waves', { kind: 'normal' })).toEqual({ msgtype: 'm.emote', body: 'waves' });
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

  it('puts emotes back with /me when editing', () => {
    expect(editableText({ msgtype: 'm.emote', body: 'waves' })).toBe('/me waves');
    expect(editableText({ msgtype: 'm.text', body: 'hi' })).toBe('hi');
  });
});

// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { sanitizeMessageHtml, stripReplyFallbackBody } from './sanitize';

describe('sanitizeMessageHtml', () => {
  it('keeps the tags the spec allows', () => {
    const html = '<p><strong>b</strong> <em>i</em> <del>d</del> <code class="language-ts">x</code></p><ul><li>one</li></ul>';
    expect(sanitizeMessageHtml(html)).toBe(html);
  });

  it('removes scripts, event handlers and unknown tags but keeps their text', () => {
    const out = sanitizeMessageHtml('<script>alert(1)</script><img src=x onerror="alert(1)"><marquee>hi</marquee><b onclick="x()">b</b>');
    expect(out).not.toMatch(/script|onerror|onclick|<img|marquee/);
    expect(out).toContain('hi');
    expect(out).toContain('<b>b</b>');
  });

  it('makes links safe: only allowed schemes, new tab, no opener', () => {
    const out = sanitizeMessageHtml('<a href="https://example.org">ok</a><a href="javascript:alert(1)">bad</a>');
    expect(out).toContain('href="https://example.org"');
    expect(out).toContain('rel="noopener noreferrer nofollow"');
    expect(out).toContain('target="_blank"');
    expect(out).not.toContain('javascript:');
    expect(out).toContain('bad');
  });

  it('turns spec colours into styles and drops anything else', () => {
    const out = sanitizeMessageHtml(
      '<font data-mx-color="#ff0000">red</font><span data-mx-color="red;background:url(x)">x</span><p style="position:fixed">p</p>',
    );
    expect(out).toContain('color: rgb(255, 0, 0)');
    expect(out).not.toContain('url(');
    expect(out).not.toContain('position');
  });

  it('drops reply fallbacks', () => {
    expect(sanitizeMessageHtml('<mx-reply><blockquote>old</blockquote></mx-reply>new')).toBe('new');
    expect(stripReplyFallbackBody('> <@a:b> old\n> more\n\nnew')).toBe('new');
    expect(stripReplyFallbackBody('> a quote I wrote')).toBe('> a quote I wrote');
  });
});

describe('previewText', () => {
  it('uses the text of formatted messages and folds whitespace', async () => {
    const { previewText } = await import('./sanitize');
    expect(previewText({ body: 'Hello **Bob**', format: 'org.matrix.custom.html', formatted_body: 'Hello <strong>Bob</strong>' })).toBe(
      'Hello Bob',
    );
    expect(previewText({ body: 'one\ntwo' })).toBe('one two');
    expect(previewText({ body: '> <@a:b> q\n\nanswer' })).toBe('answer');
  });
});

describe('matrix.to links in message HTML', () => {
  it('a room or event link opens in the app, in this tab; a user link stays a matrix.to link', () => {
    const out = sanitizeMessageHtml(
      '<a href="https://matrix.to/#/%23lounge%3Ax/%24ev">event</a> <a href="https://matrix.to/#/!abc:x">room</a> <a href="https://matrix.to/#/@bob:x">bob</a>',
    );
    const links = [...new DOMParser().parseFromString(out, 'text/html').querySelectorAll('a')];
    expect(links.map((a) => [a.getAttribute('href'), a.getAttribute('target')])).toEqual([
      ['#/room/%23lounge:x/$ev', null],
      ['#/room/!abc:x', null],
      ['https://matrix.to/#/@bob:x', '_blank'],
    ]);
  });

  it('only matrix.to itself: a look-alike host stays an external link', () => {
    const out = sanitizeMessageHtml('<a href="https://matrix.to.evil.example/#/!abc:x">x</a><a href="#/room/!abc:x">raw</a>');
    expect(out).toContain('href="https://matrix.to.evil.example/#/!abc:x"');
    expect(out).toContain('target="_blank"');
    // A message's own in-app href is not a scheme the spec allows: dropped, as before.
    expect(out).not.toContain('href="#/room');
  });
});

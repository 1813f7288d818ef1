import { describe, expect, it } from 'vitest';
import { composeMessageText } from './markdown';

describe('composeMessageText', () => {
  it('sends plain text without HTML', () => {
    expect(composeMessageText('hello there')).toEqual({ body: 'hello there' });
    expect(composeMessageText('two\nlines')).toEqual({ body: 'two\nlines' });
  });

  it('renders basic Markdown to formatted_body', () => {
    const text = composeMessageText('**bold** and _it_ and `code`');
    expect(text.format).toBe('org.matrix.custom.html');
    expect(text.formatted_body).toBe('<strong>bold</strong> and <em>it</em> and <code>code</code>');
    expect(text.body).toBe('**bold** and _it_ and `code`');
  });

  it('keeps block structure for lists and quotes', () => {
    const text = composeMessageText('- one\n- two');
    expect(text.formatted_body).toContain('<ul>');
    expect(composeMessageText('> quoted').formatted_body).toContain('<blockquote>');
  });

  it('escapes raw HTML typed by the user instead of sending it as markup', () => {
    const text = composeMessageText('<b>not bold</b> **bold**');
    expect(text.formatted_body).toContain('&lt;b&gt;not bold&lt;/b&gt;');
    expect(text.formatted_body).toContain('<strong>bold</strong>');
  });

  it('trims the body and sends nothing for whitespace', () => {
    expect(composeMessageText('   ')).toEqual({ body: '' });
  });
});

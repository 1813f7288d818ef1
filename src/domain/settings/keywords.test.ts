import { describe, expect, it } from 'vitest';
import { keywordsOf, readKeyword } from './keywords';

describe('keywords', () => {
  it('are the user-made content rules', () => {
    expect(
      keywordsOf({
        global: {
          content: [
            { rule_id: '.m.rule.contains_user_name', pattern: 'alice', default: true },
            { rule_id: 'pineapple', pattern: 'pineapple' },
            { rule_id: 'broken' },
          ],
        },
      }),
    ).toEqual(['pineapple']);
    expect(keywordsOf(undefined)).toEqual([]);
  });

  it('are trimmed; wildcards, slashes, dots in front and duplicates are refused', () => {
    expect(readKeyword('  release   day ', [])).toEqual({ keyword: 'release day' });
    for (const bad of ['', '   ', '*', 'a?b', 'x/y', '.m.rule', 'a'.repeat(101)]) expect(readKeyword(bad, [])).toHaveProperty('problem');
    expect(readKeyword('Pineapple', ['pineapple'])).toHaveProperty('problem');
  });
});

// Notification keywords: each one a push rule of kind `content` (whole words of a message's body), which the
// homeserver evaluates, so a keyword counts as a mention in every client and on every device of this account.
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { PushRuleKind, type IPushRules, type PushRuleAction } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { describeMatrixError } from '../../matrix/errors';
import { FormError } from '../../ui/Dialog';
import { inputClass, secondaryButton } from '../../ui/controls';
import { KEYWORD_ACTIONS, keywordsOf, readKeyword } from '../../domain/settings/keywords';

export function KeywordSettings() {
  const client = useClient();
  const [keywords, setKeywords] = useState<string[]>();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const reload = useCallback(async () => {
    const rules = (await client.getPushRules()) as IPushRules;
    setKeywords(keywordsOf(rules as never));
  }, [client]);

  useEffect(() => {
    reload().catch((err) => setError(describeMatrixError(err, t('settings.keywords.loadFailed'))));
  }, [reload]);

  async function add(event: FormEvent) {
    event.preventDefault();
    const read = readKeyword(text, keywords ?? []);
    if ('problem' in read) return setError(t(read.problem));
    setBusy(true);
    setError(undefined);
    try {
      await client.addPushRule('global', PushRuleKind.ContentSpecific, read.keyword, {
        pattern: read.keyword,
        actions: KEYWORD_ACTIONS as unknown as PushRuleAction[],
      });
      setText('');
      await reload();
    } catch (err) {
      setError(describeMatrixError(err, t('settings.keywords.addFailed')));
    } finally {
      setBusy(false);
    }
  }

  async function remove(keyword: string) {
    setBusy(true);
    setError(undefined);
    try {
      await client.deletePushRule('global', PushRuleKind.ContentSpecific, keyword);
      await reload();
    } catch (err) {
      setError(describeMatrixError(err, t('settings.keywords.removeFailed')));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="keywords-title" className="space-y-2 border-t border-line px-3 pt-3">
      <h3 id="keywords-title" className="font-medium">
        {t('settings.keywords.title')}
      </h3>
      <p className="text-sm text-subtle">{t('settings.keywords.intro')}</p>
      {keywords && keywords.length > 0 && (
        <ul aria-label={t('settings.keywords.list')} className="flex flex-wrap gap-1.5">
          {keywords.map((keyword) => (
            <li key={keyword} className="inline-flex items-center gap-1 rounded-full border border-line-strong py-0.5 pr-1 pl-2.5 text-sm">
              <bdi>{keyword}</bdi>
              <button
                type="button"
                disabled={busy}
                aria-label={t('settings.keywords.remove', { keyword })}
                className="rounded-full px-1.5 text-muted hover:bg-surface-muted focus-visible:outline-2 focus-visible:outline-indigo-500"
                onClick={() => void remove(keyword)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {keywords && keywords.length === 0 && <p className="text-sm text-subtle">{t('settings.keywords.none')}</p>}
      <form className="flex gap-2" onSubmit={add} noValidate>
        <label className="min-w-0 flex-1">
          <span className="sr-only">{t('settings.keywords.new')}</span>
          <input
            className={inputClass}
            value={text}
            placeholder={t('settings.keywords.placeholder')}
            onChange={(e) => setText(e.target.value)}
            spellCheck={false}
          />
        </label>
        <button type="submit" className={secondaryButton} disabled={busy}>
          {t('settings.keywords.add')}
        </button>
      </form>
      <FormError error={error} />
    </section>
  );
}

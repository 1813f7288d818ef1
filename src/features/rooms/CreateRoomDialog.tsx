import { useEffect, useState, type FormEvent } from 'react';
import { t } from '../../i18n';
import { Preset, Visibility } from 'matrix-js-sdk';
import { useClient } from '../../ui/clientContext';
import { describeMatrixError } from '../../matrix/errors';
import { openRoom } from '../../state/navigation';
import { Dialog, DialogActions, FormError } from '../../ui/Dialog';
import { inputClass } from '../../ui/controls';
import { loadMemberRoot } from '../portable/deviceKeys';
import { MemberRootDialog } from '../portable/MemberRootPrompt';
import { encryptionStateEvent } from '../../matrix/crypto';
import { createRoomWithMemberRoot, memberRootNeed, versionUsesMemberKeys, waitForRoom } from '../portable/portableRooms';

interface RoomVersions {
  default: string;
  available: string[];
}

export function CreateRoomDialog({ onClose }: { onClose: () => void }) {
  const client = useClient();
  const [name, setName] = useState('');
  const [topic, setTopic] = useState('');
  const [isPublic, setIsPublic] = useState(false);
  const [encrypted, setEncrypted] = useState(false);
  const canEncrypt = !!client.getCrypto();
  const [versions, setVersions] = useState<RoomVersions>();
  const [version, setVersion] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // Portable accounts without a remembered member-key root are asked for the recovery key first.
  const [askFor, setAskFor] = useState<string>();

  useEffect(() => {
    client.getCapabilities().then(
      (caps) => {
        const rv = caps['m.room_versions'];
        if (!rv) return;
        setVersions({ default: rv.default, available: Object.keys(rv.available) });
        setVersion(rv.default);
      },
      () => undefined, // no capabilities: the server picks its default
    );
  }, [client]);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!name.trim()) {
      setError(t('rooms.create.nameMissing'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      // Unknown capabilities: the server's default may well use member keys.
      const needsMemberKey = !versions || versionUsesMemberKeys(version || versions.default);
      const need = needsMemberKey ? await memberRootNeed(client, loadMemberRoot) : ({ kind: 'not-portable' } as const);
      if (need.kind === 'ask') return setAskFor(need.accountKey);
      await create(need.kind === 'root' ? need.memberRoot : undefined);
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.create.failed')));
    } finally {
      setBusy(false);
    }
  }

  async function create(memberRoot: Uint8Array | undefined) {
    const options = {
      name: name.trim(),
      topic: topic.trim() || undefined,
      visibility: isPublic ? Visibility.Public : Visibility.Private,
      preset: isPublic ? Preset.PublicChat : Preset.PrivateChat,
      room_version: version && version !== versions?.default ? version : undefined,
      ...(encrypted && canEncrypt ? { initial_state: [encryptionStateEvent] } : {}),
    };
    const roomId = memberRoot ? await createRoomWithMemberRoot(client, options, memberRoot) : (await client.createRoom(options)).room_id;
    if (memberRoot) await waitForRoom(client, roomId);
    openRoom(roomId, { arriving: true });
    onClose();
  }

  if (askFor) {
    return (
      <MemberRootDialog
        title={t('rooms.create.title')}
        userId={client.getSafeUserId()}
        accountKey={askFor}
        action="create"
        run={create}
        failed={t('rooms.create.failed')}
        onBusy={setBusy}
        onError={setError}
        onCancel={() => setAskFor(undefined)}
        onClose={onClose}
      />
    );
  }

  return (
    <Dialog title={t('rooms.create.title')} onClose={onClose}>
      <form className="space-y-3" onSubmit={onSubmit} noValidate>
        <label className="block space-y-1">
          <span className="text-sm">{t('rooms.create.name')}</span>
          <input className={inputClass} value={name} onChange={(e) => setName(e.target.value)} autoFocus />
        </label>
        <label className="block space-y-1">
          <span className="text-sm">{t('rooms.create.topic')}</span>
          <input className={inputClass} value={topic} onChange={(e) => setTopic(e.target.value)} />
        </label>
        <fieldset className="space-y-1">
          <legend className="text-sm">{t('rooms.create.whoCanJoin')}</legend>
          <label className="flex items-center gap-2">
            <input type="radio" name="visibility" checked={!isPublic} onChange={() => setIsPublic(false)} /> {t('rooms.create.private')}
          </label>
          <label className="flex items-center gap-2">
            <input type="radio" name="visibility" checked={isPublic} onChange={() => setIsPublic(true)} /> {t('rooms.create.public')}
          </label>
        </fieldset>
        {canEncrypt && (
          <label className="flex items-start gap-2">
            <input type="checkbox" className="mt-1" checked={encrypted} onChange={(e) => setEncrypted(e.target.checked)} />
            <span>
              <span className="block text-sm">{t('rooms.create.encrypted')}</span>
              <span className="block text-xs text-subtle">{t('rooms.create.encryptedHint')}</span>
            </span>
          </label>
        )}
        {versions && (
          <label className="block space-y-1">
            <span className="text-sm">{t('rooms.create.version')}</span>
            <select className={inputClass} value={version} onChange={(e) => setVersion(e.target.value)}>
              {versions.available.map((v) => (
                <option key={v} value={v}>
                  {v}
                  {v === versions.default ? ` ${t('rooms.create.serverDefault')}` : ''}
                </option>
              ))}
            </select>
          </label>
        )}
        <FormError error={error} />
        <DialogActions submit={t('rooms.create.submit')} busy={busy} busyLabel={t('rooms.create.busy')} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

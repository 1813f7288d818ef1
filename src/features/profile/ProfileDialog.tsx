// Your display name and avatar (issue 17). The server sends the change as a new member event in every joined room
// (co-signed again in member-key rooms, so the handle stays verified). The picture is cropped to its centre square
// and scaled down on a canvas before upload.
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { describeMatrixError } from '../../matrix/errors';
import { Dialog, DialogActions, FormError } from '../../ui/Dialog';
import { Avatar } from '../../ui/Avatar';
import { iconButton, inputClass, secondaryButton } from '../../ui/controls';
import { squareAvatar } from '../../ui/squareAvatar';
import { logger } from '../../platform/logger';

const log = logger('profile');

type Picture = { kind: 'current' } | { kind: 'new'; blob: Blob; previewUrl: string } | { kind: 'none' };

export function ProfileDialog({ onClose }: { onClose: () => void }) {
  const client = useClient();
  const userId = client.getSafeUserId();
  const [loaded, setLoaded] = useState<{ displayname: string; avatarUrl?: string }>();
  const [name, setName] = useState('');
  const [picture, setPicture] = useState<Picture>({ kind: 'current' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const fileId = useId();

  useEffect(() => {
    let live = true;
    client.getProfileInfo(userId).then(
      (profile) => {
        if (!live) return;
        setLoaded({ displayname: profile.displayname ?? '', avatarUrl: profile.avatar_url });
        setName(profile.displayname ?? '');
      },
      () => live && setLoaded({ displayname: '' }),
    );
    return () => {
      live = false;
    };
  }, [client, userId]);

  useEffect(() => () => void (picture.kind === 'new' && URL.revokeObjectURL(picture.previewUrl)), [picture]);

  async function choose(file: File | undefined) {
    if (!file) return;
    setError(undefined);
    try {
      const blob = await squareAvatar(file);
      setPicture({ kind: 'new', blob, previewUrl: URL.createObjectURL(blob) });
    } catch {
      setError(t('profile.pictureUnreadable'));
    }
  }

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!loaded) return;
    setBusy(true);
    setError(undefined);
    try {
      if (picture.kind === 'new') {
        const { content_uri } = await client.uploadContent(picture.blob, { name: 'avatar', type: picture.blob.type });
        await client.setAvatarUrl(content_uri);
      } else if (picture.kind === 'none' && loaded.avatarUrl) {
        await client.setAvatarUrl('');
      }
      if (name.trim() !== loaded.displayname) await client.setDisplayName(name.trim());
      onClose();
    } catch (err) {
      setError(describeMatrixError(err, t('profile.failed')));
    } finally {
      setBusy(false);
    }
  }

  const shownName = name.trim() || userId;
  const preview =
    picture.kind === 'new' ? (
      <img src={picture.previewUrl} alt="" width={72} height={72} className="size-[72px] shrink-0 rounded-full object-cover" />
    ) : (
      <Avatar name={shownName} seed={userId} size={72} mxc={picture.kind === 'current' ? loaded?.avatarUrl : undefined} />
    );
  const hasPicture = picture.kind === 'new' || (picture.kind === 'current' && !!loaded?.avatarUrl);

  return (
    <Dialog title={t('profile.title')} onClose={onClose}>
      <form className="space-y-4" onSubmit={onSubmit} noValidate aria-busy={!loaded}>
        <label className="block space-y-1">
          <span className="text-sm">{t('profile.displayName')}</span>
          <input
            className={inputClass}
            value={name}
            maxLength={256}
            readOnly={!loaded}
            onChange={(e) => setName(e.target.value)}
            autoFocus
          />
        </label>
        <div className="flex items-center gap-4">
          {preview}
          <div className="flex flex-wrap gap-2">
            <input
              id={fileId}
              type="file"
              accept="image/*"
              className="peer sr-only"
              onChange={(e) => {
                void choose(e.target.files?.[0]);
                e.target.value = '';
              }}
            />
            <label
              htmlFor={fileId}
              className={`cursor-pointer text-sm peer-focus-visible:outline-2 peer-focus-visible:outline-indigo-500 ${secondaryButton}`}
            >
              {t('profile.choosePicture')}
            </label>
            {hasPicture && (
              <button type="button" className={`text-sm ${secondaryButton}`} onClick={() => setPicture({ kind: 'none' })}>
                {t('profile.removePicture')}
              </button>
            )}
          </div>
        </div>
        <p className="text-xs text-subtle">{t('profile.everyRoom', { userId })}</p>
        <FormError error={error} />
        <DialogActions
          submit={t('profile.save')}
          busy={busy || !loaded}
          busyLabel={busy ? t('profile.saving') : undefined}
          onCancel={onClose}
        />
      </form>
    </Dialog>
  );
}

/** The header's button: your avatar, opening the profile dialog; shows the saved profile after each change. */
export function ProfileButton() {
  const client = useClient();
  const userId = client.getSafeUserId();
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  // The dialog unmounts without close(), so focus is given back by hand once it is gone (the page is inert until then).
  const refocus = useRef(false);
  useEffect(() => {
    if (open || !refocus.current) return;
    refocus.current = false;
    button.current?.focus();
  }, [open]);
  const [profile, setProfile] = useState<{ displayname?: string; avatar_url?: string }>({});
  useEffect(() => {
    if (open) return;
    let live = true;
    client.getProfileInfo(userId).then((p) => live && setProfile(p), log.ignored('profile not loaded; the initial stays'));
    return () => {
      live = false;
    };
  }, [client, userId, open]);
  return (
    <>
      <button
        ref={button}
        type="button"
        className={iconButton}
        aria-label={t('profile.open')}
        title={t('profile.open')}
        onClick={() => setOpen(true)}
      >
        <Avatar name={profile.displayname || userId} seed={userId} mxc={profile.avatar_url} size={28} />
      </button>
      {open && (
        <ProfileDialog
          onClose={() => {
            setOpen(false);
            refocus.current = true;
          }}
        />
      )}
    </>
  );
}

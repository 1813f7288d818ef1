// Shows authenticated media: the signed-in client's blob URL for an mxc:// URI (src/matrix/media.ts fetches it).
import { useContext, useEffect, useState } from 'react';
import { authedBlobUrl, decryptedBlobUrl, mediaUrl } from '../matrix/media';
import type { EncryptedFile } from '../matrix/encryptedAttachment';
import { ClientContext } from './clientContext';

export type MediaState = { status: 'loading' } | { status: 'ready'; url: string } | { status: 'failed' } | { status: 'none' };

/** The media's state, and `retry` to fetch it again after a failure (a failed fetch is not cached). */
// Nothing to fetch: the state it already has when it started that way, so an avatar without a picture (most of them)
// doesn't render a second time after mounting.
const nothingToFetch = (state: MediaState): MediaState => (state.status === 'none' ? state : { status: 'none' });

export function useAuthedMedia(mxc: string | undefined, size?: { width: number; height: number }): MediaState & { retry: () => void } {
  const client = useContext(ClientContext);
  const url = client && mxc ? mediaUrl(client, mxc, size) : null;
  const [state, setState] = useState<MediaState>(url ? { status: 'loading' } : { status: 'none' });
  const [attempt, setAttempt] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new attempt (Retry) fetches again
  useEffect(() => {
    if (!client || !url) {
      setState(nothingToFetch);
      return;
    }
    let live = true;
    setState({ status: 'loading' });
    authedBlobUrl(client, url).then(
      (blobUrl) => live && setState({ status: 'ready', url: blobUrl }),
      () => live && setState({ status: 'failed' }),
    );
    return () => {
      live = false;
    };
  }, [client, url, attempt]);
  return { ...state, retry: () => setAttempt((n) => n + 1) };
}

/** The same for an encrypted attachment (`file` of an event in an encrypted room): downloaded whole and decrypted. */
export function useEncryptedMedia(file: EncryptedFile | undefined, mimetype?: string): MediaState & { retry: () => void } {
  const client = useContext(ClientContext);
  const [state, setState] = useState<MediaState>(file ? { status: 'loading' } : { status: 'none' });
  const [attempt, setAttempt] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new attempt (Retry) fetches again
  useEffect(() => {
    if (!client || !file) {
      setState(nothingToFetch);
      return;
    }
    let live = true;
    setState({ status: 'loading' });
    decryptedBlobUrl(client, file, mimetype).then(
      (blobUrl) => live && setState({ status: 'ready', url: blobUrl }),
      () => live && setState({ status: 'failed' }),
    );
    return () => {
      live = false;
    };
  }, [client, file?.url, file?.hashes.sha256, mimetype, attempt]);
  return { ...state, retry: () => setAttempt((n) => n + 1) };
}

// Saving media to disk: an <a download> on a blob URL, never a navigation (the blob lives in this origin).
import type { MatrixClient } from 'matrix-js-sdk';
import { authedDownload } from '../matrix/media';
import type { EncryptedFile } from '../matrix/encryptedAttachment';

/** Fetches the media with the session's token and hands it to the browser's downloads as `name`. */
export async function saveMedia(client: MatrixClient, mxc: string, name: string, file?: EncryptedFile): Promise<void> {
  const blob = await authedDownload(client, mxc, file);
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name || 'download';
  link.rel = 'noopener';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the bytes once the click is handled; a minute is ample for slow disks.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

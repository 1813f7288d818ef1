// Media repository: upload, download (authenticated v1 and legacy v3/r0), thumbnails (the original, passed through).
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { MatrixError, notFound } from '../http/errors';
import type { RawResponse, RequestContext, Router } from '../http/router';

const SAFE_INLINE = /^(image\/(png|jpeg|gif|webp|apng|avif)|video\/(mp4|webm|ogg)|audio\/(mpeg|ogg|wav|webm|mp4|aac|flac)|text\/plain)$/;

export function registerMedia(router: Router, hs: Homeserver): void {
  const upload = async (ctx: RequestContext) => {
    const session = requireSession(hs, ctx);
    const bytes = await ctx.bytes(hs.config.maxUploadBytes);
    const contentType = (ctx.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim() || 'application/octet-stream';
    const filename = ctx.query.get('filename') ?? undefined;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the filename check refuses
    if (filename !== undefined && (filename.length > 255 || /[\u0000-\u001f/\\]/.test(filename))) throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid filename');
    const mediaId = hs.media.save(bytes, contentType, filename, session.userId);
    return { content_uri: `mxc://${hs.config.serverName}/${mediaId}` };
  };
  for (const version of ['v3', 'r0']) router.post(`/_matrix/media/${version}/upload`, upload);

  const config = () => ({ 'm.upload.size': hs.config.maxUploadBytes });
  router.get('/_matrix/client/v1/media/config', (ctx) => {
    requireSession(hs, ctx);
    return config();
  });
  router.get('/_matrix/media/v3/config', config);

  const download = (authenticated: boolean) => (ctx: RequestContext): RawResponse => {
    if (authenticated) requireSession(hs, ctx);
    const { serverName, mediaId } = ctx.params as { serverName: string; mediaId: string };
    if (serverName !== hs.config.serverName) throw notFound('Remote media is not available (no federation yet)');
    const media = hs.media.get(mediaId);
    if (!media) throw notFound('Media not found');
    const name = ctx.params.fileName ?? media.row.filename ?? undefined;
    const inline = SAFE_INLINE.test(media.row.content_type);
    return {
      raw: true,
      status: 200,
      headers: {
        'Content-Type': media.row.content_type,
        'Content-Disposition': `${inline ? 'inline' : 'attachment'}${name ? `; filename*=utf-8''${encodeURIComponent(name)}` : ''}`,
        'Content-Security-Policy': "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
        'Cross-Origin-Resource-Policy': 'cross-origin',
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'public, max-age=86400, immutable',
      },
      body: media.bytes,
    };
  };
  router.get('/_matrix/client/v1/media/download/{serverName}/{mediaId}', download(true));
  router.get('/_matrix/client/v1/media/download/{serverName}/{mediaId}/{fileName}', download(true));
  // Thumbnails: the original is served as is (content type kept); resizing is a later concern.
  router.get('/_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}', download(true));
  for (const version of ['v3', 'r0']) {
    router.get(`/_matrix/media/${version}/download/{serverName}/{mediaId}`, download(false));
    router.get(`/_matrix/media/${version}/download/{serverName}/{mediaId}/{fileName}`, download(false));
    router.get(`/_matrix/media/${version}/thumbnail/{serverName}/{mediaId}`, download(false));
  }
}

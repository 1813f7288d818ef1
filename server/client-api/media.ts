// Media repository: upload, config, authenticated download and thumbnails (client v1, local and remote media),
// the federation side (/_matrix/federation/v1/media, multipart/mixed), and the frozen legacy v3/r0 endpoints.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { MatrixError, notFound } from '../http/errors';
import type { RawResponse, RequestContext, Router } from '../http/router';
import { FederationError, isServerName } from '../federation/client';
import { MEDIA_ID, type MediaRow } from '../media/media-store';
import { buildMultipart, filenameOf, MultipartError, parseMediaMultipart } from '../media/multipart';
import { isImage, makeThumbnail, type Thumbnail, thumbnailParams } from '../media/thumbnail';

const SAFE_INLINE = /^(image\/(png|jpeg|gif|webp|apng|avif)|video\/(mp4|webm|ogg)|audio\/(mpeg|ogg|wav|webm|mp4|aac|flac)|text\/plain)$/;
const CONTENT_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/;
/** Room for the multipart framing around the media's bytes in a federation answer. */
const MULTIPART_OVERHEAD = 64 * 1024;
const REMOTE_TIMEOUT_MS = 20_000;

type Media = { row: MediaRow; bytes: Buffer };

export function registerMedia(router: Router, hs: Homeserver): void {
  const upload = async (ctx: RequestContext) => {
    const session = requireSession(hs, ctx);
    const bytes = await ctx.bytes(hs.config.maxUploadBytes);
    const contentType = normaliseType(ctx.headers['content-type']);
    const filename = ctx.query.get('filename') ?? undefined;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the filename check refuses
    if (filename !== undefined && (filename.length > 255 || /[\u0000-\u001f/\\]/.test(filename)))
      throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid filename');
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

  /** One fetch per remote media at a time: concurrent requests for it share the answer. */
  const inFlight = new Map<string, Promise<Media>>();

  /** Another server's media: the cached copy, else fetched over federation (authenticated media) and cached. */
  const remoteMedia = (serverName: string, mediaId: string): Promise<Media> => {
    const cached = hs.media.getRemote(serverName, mediaId);
    if (cached) return Promise.resolve(cached);
    const key = `${serverName}/${mediaId}`;
    let pending = inFlight.get(key);
    if (!pending) {
      pending = fetchRemote(serverName, mediaId).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    return pending;
  };

  const fetchRemote = async (serverName: string, mediaId: string): Promise<Media> => {
    const limit = hs.config.maxUploadBytes;
    const tooLarge = () => new MatrixError(502, 'M_TOO_LARGE', `The remote media is larger than this server's limit of ${limit} bytes`);
    let answer;
    try {
      answer = await hs.federation.client.bytes(serverName, `/_matrix/federation/v1/media/download/${encodeURIComponent(mediaId)}`, {
        maxBytes: limit + MULTIPART_OVERHEAD,
        timeoutMs: REMOTE_TIMEOUT_MS,
      });
    } catch (error) {
      throw remoteError(error, serverName, tooLarge);
    }
    let part;
    try {
      part = parseMediaMultipart(firstHeader(answer.headers['content-type']), answer.bytes);
    } catch (error) {
      if (error instanceof MultipartError)
        throw new MatrixError(502, 'M_UNKNOWN', `${serverName} answered with malformed media: ${error.message}`);
      throw error;
    }
    let headers = part.headers;
    let bytes = part.body;
    if (headers.location !== undefined) {
      // Redirected: fetched (with the same address checks) but, as the spec says, the URL itself is not kept.
      let fetched;
      try {
        fetched = await hs.federation.client.fetchLocation(headers.location, serverName, { maxBytes: limit, timeoutMs: REMOTE_TIMEOUT_MS });
      } catch (error) {
        throw remoteError(error, serverName, tooLarge);
      }
      headers = {
        'content-type': firstHeader(fetched.headers['content-type']) ?? '',
        'content-disposition': firstHeader(fetched.headers['content-disposition']) ?? '',
      };
      bytes = fetched.bytes;
    }
    if (bytes.length > limit) throw tooLarge();
    const contentType = normaliseType(headers['content-type']);
    const filename = filenameOf(headers['content-disposition']);
    hs.media.saveRemote(serverName, mediaId, bytes, contentType, filename);
    return { row: { media_id: mediaId, content_type: contentType, filename: filename ?? null, size: bytes.length }, bytes };
  };

  /** Local or remote media, for a client; 404 M_NOT_FOUND when there is none. */
  const mediaFor = async (serverName: string, mediaId: string): Promise<Media> => {
    if (!MEDIA_ID.test(mediaId)) throw notFound('Media not found');
    if (serverName === hs.config.serverName) {
      const media = hs.media.get(mediaId);
      if (!media) throw notFound('Media not found');
      return media;
    }
    if (!isServerName(serverName)) throw notFound('Media not found');
    return remoteMedia(serverName, mediaId);
  };

  const download = async (ctx: RequestContext): Promise<RawResponse> => {
    requireSession(hs, ctx);
    const { serverName, mediaId } = ctx.params as { serverName: string; mediaId: string };
    const media = await mediaFor(serverName, mediaId);
    return mediaResponse(media.row.content_type, media.bytes, ctx.params.fileName ?? media.row.filename ?? undefined);
  };
  const thumbnail = async (ctx: RequestContext): Promise<RawResponse> => {
    requireSession(hs, ctx);
    const { serverName, mediaId } = ctx.params as { serverName: string; mediaId: string };
    const thumb = await thumbnailOf(hs, serverName, mediaId, ctx.query, () => mediaFor(serverName, mediaId));
    return mediaResponse(thumb.contentType, thumb.bytes, undefined);
  };
  router.get('/_matrix/client/v1/media/download/{serverName}/{mediaId}', download);
  router.get('/_matrix/client/v1/media/download/{serverName}/{mediaId}/{fileName}', download);
  router.get('/_matrix/client/v1/media/thumbnail/{serverName}/{mediaId}', thumbnail);

  // Legacy unauthenticated media (spec v1.11: "MAY return 404 M_NOT_FOUND for media which exists, but is after the
  // server froze unauthenticated media access"). This server froze it from its first upload: every media it holds
  // is newer than the freeze, so nothing is served without an access token.
  const frozen = () => {
    throw notFound(
      'Unauthenticated media access is frozen on this server (Matrix 1.11): use /_matrix/client/v1/media with an access token',
    );
  };
  for (const version of ['v3', 'r0']) {
    router.get(`/_matrix/media/${version}/download/{serverName}/{mediaId}`, frozen);
    router.get(`/_matrix/media/${version}/download/{serverName}/{mediaId}/{fileName}`, frozen);
    router.get(`/_matrix/media/${version}/thumbnail/{serverName}/{mediaId}`, frozen);
  }
}

/** A thumbnail of local or remote media: the cached one, else made from `source` and cached. */
async function thumbnailOf(
  hs: Homeserver,
  serverName: string,
  mediaId: string,
  query: URLSearchParams,
  source: () => Promise<Media>,
): Promise<Thumbnail> {
  const { width, height, method } = thumbnailParams(query);
  const key = { serverName, mediaId, width, height, method };
  const cached = hs.media.getThumbnail(key);
  if (cached) return cached;
  const media = await source();
  if (!isImage(media.row.content_type))
    throw new MatrixError(400, 'M_UNKNOWN', `Cannot generate thumbnails for this content: it is ${media.row.content_type}, not an image`);
  const thumbnail = await makeThumbnail(media.bytes, media.row.content_type, width, height, method);
  if (thumbnail.bytes !== media.bytes) hs.media.saveThumbnail(key, thumbnail.contentType, thumbnail.bytes);
  return thumbnail;
}

/**
 * Federation media (spec v1.11): this server's own media, to other servers that authenticate with X-Matrix, as a
 * multipart/mixed answer (JSON metadata `{}`, then the bytes). Registered by registerFederation with its authenticator.
 */
export function registerFederationMedia(router: Router, hs: Homeserver, authenticate: (ctx: RequestContext) => Promise<string>): void {
  const localMedia = (mediaId: string): Media => {
    const media = MEDIA_ID.test(mediaId) ? hs.media.get(mediaId) : undefined;
    if (!media) throw notFound('Media not found');
    return media;
  };
  const multipart = (contentType: string, bytes: Buffer, filename: string | undefined): RawResponse => {
    const part = buildMultipart({}, partHeaders(contentType, filename), bytes);
    return { raw: true, status: 200, headers: { 'Content-Type': part.contentType }, body: part.body };
  };
  router.get('/_matrix/federation/v1/media/download/{mediaId}', async (ctx) => {
    await authenticate(ctx);
    const media = localMedia(ctx.params.mediaId!);
    return multipart(media.row.content_type, media.bytes, media.row.filename ?? undefined);
  });
  router.get('/_matrix/federation/v1/media/thumbnail/{mediaId}', async (ctx) => {
    await authenticate(ctx);
    const mediaId = ctx.params.mediaId!;
    const thumb = await thumbnailOf(hs, hs.config.serverName, mediaId, ctx.query, async () => localMedia(mediaId));
    return multipart(thumb.contentType, thumb.bytes, undefined);
  });
}

function remoteError(error: unknown, serverName: string, tooLarge: () => MatrixError): MatrixError {
  if (!(error instanceof FederationError)) return error as MatrixError;
  if (error.status === 404) return notFound(`${serverName} has no such media`);
  if (error.status === 0 && /more than \d+ bytes/.test(error.message)) return tooLarge();
  if (error.status === 502 && error.errcode === 'M_TOO_LARGE') return tooLarge();
  return new MatrixError(502, 'M_UNKNOWN', `Could not fetch the media from ${serverName}: ${error.message}`);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function normaliseType(header: string | string[] | undefined): string {
  const type = (firstHeader(header) ?? '').split(';')[0]!.trim().toLowerCase();
  return CONTENT_TYPE.test(type) ? type : 'application/octet-stream';
}

function disposition(contentType: string, name: string | undefined): string {
  const inline = SAFE_INLINE.test(contentType);
  return `${inline ? 'inline' : 'attachment'}${name ? `; filename*=utf-8''${encodeURIComponent(name)}` : ''}`;
}

function partHeaders(contentType: string, name: string | undefined): Record<string, string> {
  return { 'Content-Type': contentType, 'Content-Disposition': disposition(contentType, name) };
}

function mediaResponse(contentType: string, bytes: Buffer, name: string | undefined): RawResponse {
  return {
    raw: true,
    status: 200,
    headers: {
      'Content-Type': contentType,
      'Content-Disposition': disposition(contentType, name),
      'Content-Security-Policy':
        "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; media-src 'self'; object-src 'self';",
      'Cross-Origin-Resource-Policy': 'cross-origin',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'public, max-age=86400, immutable',
    },
    body: bytes,
  };
}

// Command-line contract: --server-name NAME --port PORT --data DIR [--open-registration] [--insecure-http]
import { parseArgs } from 'node:util';

export interface Config {
  serverName: string;
  port: number;
  dataDir: string;
  openRegistration: boolean;
  insecureHttp: boolean;
  /** Registration token accepted by the m.login.registration_token flow when registration is closed. */
  registrationToken?: string;
  maxJsonBytes: number;
  maxUploadBytes: number;
  /** Login/register token bucket per client address. */
  authRateLimit: { burst: number; perSecond: number };
  /** Password login: per-account exponential back-off that failed passwords feed (FREE,BASE_MS,MAX_MS). */
  passwordBackoff: { freeFailures: number; baseMs: number; maxMs: number };
  /** `--dev-admin TOKEN`: enables the loopback-only /_wayfarer/dev API (demos and tests). */
  devAdminToken?: string;
  /** How often every member-key link is re-checked (one key fetch per domain). */
  linkRecheckSeconds: number;
  /**
   * A key ID we have not seen makes us fetch its server's keys again: three times in a row, then at most once per
   * this many seconds per server (first fetches and fetches of keys older than this are not limited; never more than
   * one fetch in flight per server).
   */
  keyRefetchSeconds: number;
  /** Cap of the per-destination federation retry backoff. */
  federationMaxBackoffMs: number;
  /** How long a client's `/publicRooms?server=…` waits for the other server (`--remote-directory-timeout-ms`). */
  remoteDirectoryTimeoutMs: number;
  /** Account-key login (PROTOCOL.md §5): how long a challenge stays valid, and the bucket of failed proofs per account key. */
  accountKeyChallengeTtlMs: number;
  accountKeyRateLimit: { burst: number; perSecond: number };
}

export class ConfigError extends Error {}

const SERVER_NAME = /^(?:[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*|\[[0-9a-fA-F:.]+\])(?::\d{1,5})?$/;

export function parseConfig(argv: string[]): Config {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'server-name': { type: 'string' },
        port: { type: 'string' },
        data: { type: 'string' },
        'open-registration': { type: 'boolean', default: false },
        'insecure-http': { type: 'boolean', default: false },
        'registration-token': { type: 'string' },
        'max-upload-bytes': { type: 'string' },
        'dev-admin': { type: 'string' },
        'link-recheck-seconds': { type: 'string' },
        'key-refetch-seconds': { type: 'string' },
        'federation-max-backoff-ms': { type: 'string' },
        'remote-directory-timeout-ms': { type: 'string' },
        // For tests: short challenge lifetimes and tight or loose rate limits ("BURST,PER_SECOND").
        'account-key-challenge-ttl-ms': { type: 'string' },
        'auth-rate-limit': { type: 'string' },
        'account-key-rate-limit': { type: 'string' },
        'password-backoff': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const serverName = values['server-name'];
  if (!serverName || !SERVER_NAME.test(serverName)) throw new ConfigError('--server-name NAME is required, e.g. alpha.localhost:8481');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError('--port PORT must be an integer in 1..65535');
  if (!values.data) throw new ConfigError('--data DIR is required');
  const maxUpload = values['max-upload-bytes'] === undefined ? 50 * 1024 * 1024 : Number(values['max-upload-bytes']);
  if (!Number.isInteger(maxUpload) || maxUpload <= 0) throw new ConfigError('--max-upload-bytes must be a positive integer');
  const linkRecheckSeconds = values['link-recheck-seconds'] === undefined ? 86_400 : Number(values['link-recheck-seconds']);
  if (!Number.isInteger(linkRecheckSeconds) || linkRecheckSeconds < 1)
    throw new ConfigError('--link-recheck-seconds must be a positive integer');
  const keyRefetchSeconds = values['key-refetch-seconds'] === undefined ? 30 : Number(values['key-refetch-seconds']);
  if (!Number.isInteger(keyRefetchSeconds) || keyRefetchSeconds < 1)
    throw new ConfigError('--key-refetch-seconds must be a positive integer');
  const maxBackoff = values['federation-max-backoff-ms'] === undefined ? 60_000 : Number(values['federation-max-backoff-ms']);
  if (!Number.isInteger(maxBackoff) || maxBackoff < 100) throw new ConfigError('--federation-max-backoff-ms must be an integer ≥ 100');
  const directoryTimeout = values['remote-directory-timeout-ms'] === undefined ? 10_000 : Number(values['remote-directory-timeout-ms']);
  if (!Number.isInteger(directoryTimeout) || directoryTimeout < 100 || directoryTimeout > 60_000)
    throw new ConfigError('--remote-directory-timeout-ms must be an integer from 100 to 60000');
  if (values['dev-admin'] !== undefined && values['dev-admin'].length < 8)
    throw new ConfigError('--dev-admin TOKEN must be at least 8 characters');
  const challengeTtl = values['account-key-challenge-ttl-ms'] === undefined ? 120_000 : Number(values['account-key-challenge-ttl-ms']);
  if (!Number.isInteger(challengeTtl) || challengeTtl <= 0)
    throw new ConfigError('--account-key-challenge-ttl-ms must be a positive integer');
  return {
    serverName,
    port,
    dataDir: values.data,
    openRegistration: values['open-registration'] ?? false,
    insecureHttp: values['insecure-http'] ?? false,
    registrationToken: values['registration-token'] ?? process.env.WAYFARER_REGISTRATION_TOKEN,
    maxJsonBytes: 1024 * 1024,
    devAdminToken: values['dev-admin'],
    linkRecheckSeconds,
    keyRefetchSeconds,
    federationMaxBackoffMs: maxBackoff,
    remoteDirectoryTimeoutMs: directoryTimeout,
    maxUploadBytes: maxUpload,
    authRateLimit: parseRateLimit('--auth-rate-limit', values['auth-rate-limit'], { burst: 30, perSecond: 3 }),
    passwordBackoff: parseBackoff(values['password-backoff']),
    accountKeyChallengeTtlMs: challengeTtl,
    accountKeyRateLimit: parseRateLimit('--account-key-rate-limit', values['account-key-rate-limit'], { burst: 10, perSecond: 0.2 }),
  };
}

/** `--password-backoff FREE,BASE_MS,MAX_MS`: 5 free failures, then 1 s doubling up to a minute by default. */
function parseBackoff(text: string | undefined) {
  if (text === undefined) return { freeFailures: 5, baseMs: 1000, maxMs: 60_000 };
  const [freeFailures, baseMs, maxMs] = text.split(',').map(Number);
  if (
    !Number.isInteger(freeFailures) ||
    freeFailures! < 0 ||
    !Number.isInteger(baseMs) ||
    baseMs! < 1 ||
    !Number.isInteger(maxMs) ||
    maxMs! < baseMs!
  ) {
    throw new ConfigError('--password-backoff takes FREE_FAILURES,BASE_MS,MAX_MS, e.g. 5,1000,60000');
  }
  return { freeFailures: freeFailures!, baseMs: baseMs!, maxMs: maxMs! };
}

function parseRateLimit(flag: string, text: string | undefined, fallback: { burst: number; perSecond: number }) {
  if (text === undefined) return fallback;
  const [burst, perSecond] = text.split(',').map(Number);
  if (!Number.isInteger(burst) || burst! < 1 || !(perSecond! > 0)) throw new ConfigError(`${flag} takes BURST,PER_SECOND, e.g. 30,3`);
  return { burst: burst!, perSecond: perSecond! };
}

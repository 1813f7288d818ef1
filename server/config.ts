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
  return {
    serverName,
    port,
    dataDir: values.data,
    openRegistration: values['open-registration'] ?? false,
    insecureHttp: values['insecure-http'] ?? false,
    registrationToken: values['registration-token'] ?? process.env.WAYFARER_REGISTRATION_TOKEN,
    maxJsonBytes: 1024 * 1024,
    maxUploadBytes: maxUpload,
    authRateLimit: { burst: 30, perSecond: 3 },
  };
}

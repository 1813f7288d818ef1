// `npm run server -- --server-name NAME --port PORT --data DIR [--open-registration] [--insecure-http]`
import { ConfigError, parseConfig } from './config';
import { startServer } from './server';
import { SchemaTooNewError } from './storage/migrations';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`wayfarer homeserver: ${error.message}`);
      console.error('usage: npm run server -- --server-name NAME --port PORT --data DIR [--open-registration] [--insecure-http]');
      process.exit(2);
    }
    throw error;
  }
  const server = await startServer(config);
  console.log(`${config.serverName}: data in ${config.dataDir}, registration ${config.openRegistration ? 'open' : 'closed'}`);
  console.log(`listening on http://127.0.0.1:${config.port}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  // A database from a newer release: say so plainly (no stack), and leave it as it is.
  if (error instanceof SchemaTooNewError) console.error(`wayfarer homeserver failed to start: ${error.message}`);
  else console.error('wayfarer homeserver failed to start:', error);
  process.exit(1);
});

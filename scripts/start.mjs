// `npm start`: installs what is missing, builds the client and serves it with the demo homeservers.
import { spawn } from 'node:child_process';
import { ensureNodeModules, mustRun, root } from './ensure.mjs';

ensureNodeModules();
console.log('• building the client…');
mustRun('npx', ['vite', 'build', '--logLevel', 'warn']);

const children = [];
function stopAll() {
  for (const child of children) child.kill('SIGTERM');
}
process.on('SIGINT', () => { stopAll(); process.exit(0); });
process.on('SIGTERM', () => { stopAll(); process.exit(0); });

const client = spawn('npx', ['vite', 'preview', '--port', '8480', '--strictPort', '--host', '127.0.0.1'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(client);
client.stdout.on('data', (chunk) => {
  if (String(chunk).includes('8480')) {
    console.log('\nWayfarer is running:');
    console.log('  client   http://127.0.0.1:8480');
    console.log('\nPress Ctrl-C to stop.');
  }
});
client.on('exit', (code) => { stopAll(); process.exit(code ?? 0); });

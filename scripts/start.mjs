// `npm start`: runs every Rehearsal service that exists so far, each as its own
// process with its output prefixed, and stops them all on Ctrl-C.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const services = [
  { name: 'core', entry: 'core/src/main.ts', env: {} },
  { name: 'mock-idp', entry: 'mock-idp/src/main.ts', env: { IDP_CONFIG: join(root, 'mock-idp/examples/acme.yaml') } },
  { name: 'gateway', entry: 'gateway/src/main.ts', env: {} },
];

const children = services.map(({ name, entry, env }) => {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, entry)], {
    cwd: root,
    env: { LOG_LEVEL: 'warn', ...env, ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (stream, out) => {
    let buffered = '';
    stream.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    process.stderr.write(`[${name}] exited (${signal ?? code})\n`);
    stopAll();
    process.exitCode = code ?? 1;
  });
  return child;
});

let stopping = false;
function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);

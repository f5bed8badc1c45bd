import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { haproxyBin, waitUntilHealthy } from '@rehearsal/runtime/testing';
import { join } from 'node:path';

/** One public port and the replicas behind it. */
export interface Frontend {
  name: string;
  port: number;
  backends: number[];
  /** Each client (by address) stays on one replica while it lives: for flows a replica keeps to itself. */
  sticky?: boolean;
}

/** How often HAProxy asks each replica's /healthz; two failures in a row take it out of the rotation. */
export const HEALTH_CHECK_INTERVAL_MS = 1000;

/**
 * HAProxy's configuration for the stack: each frontend on loopback hands
 * requests to its replicas in turn (any replica can finish a login another
 * started), health-checked on /healthz. The IdP's keep each client on one
 * replica, by address: a single logout walking a browser through every SP and
 * a provisioning cycle's progress live in the replica that began them; its
 * sessions and pending logins are shared, so a client moved by a replica's
 * death carries on. A request that could not reach a replica (refused) is
 * retried on another at once; one a replica dies answering gets HAProxy's 502.
 */
export function haproxyConfig(frontends: Frontend[]): string {
  const lines = [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout http-keep-alive 10s',
    // A failed attempt goes to another replica at once, not to the same one again.
    '  option redispatch 1',
    '  retries 2',
    // Only requests that never reached a replica are retried: one cut mid-answer may have been applied (an AuthnRequest consumed).
    '  retry-on conn-failure',
    // A connection to a replica is not kept for the next request: one to a replica that died would fail it unretried.
    '  http-reuse never',
  ];
  for (const f of frontends) {
    lines.push(
      `frontend ${f.name}`,
      `  bind 127.0.0.1:${f.port}`,
      `  default_backend ${f.name}-replicas`,
      `backend ${f.name}-replicas`,
      ...(f.sticky ? ['  balance source', '  hash-type consistent'] : ['  balance roundrobin']),
      '  option httpchk GET /healthz',
      '  http-check expect status 200',
      `  default-server inter ${HEALTH_CHECK_INTERVAL_MS}ms fall 2 rise 1`,
      ...f.backends.map((port, i) => `  server ${f.name}-${i + 1} 127.0.0.1:${port} check`),
    );
  }
  return lines.join('\n') + '\n';
}

/** Debian's HAProxy in the foreground with the stack's configuration, ready once each frontend's /healthz answers through it (a live replica found). */
export async function startHaproxy(dir: string, frontends: Frontend[], onExit: (status: string) => void) {
  const bin = haproxyBin();
  if (!bin) throw new Error('Replicas run behind HAProxy, which is not installed here (apt-get install -y haproxy).');
  const config = join(dir, 'haproxy.cfg');
  writeFileSync(config, haproxyConfig(frontends));
  const child = spawn(bin, ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-4000)));
  let stopping = false;
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with status ${code}`)));
  void exited.then((status) => {
    if (!stopping) onExit(`${status}: ${output.trim().split('\n').slice(-5).join(' | ')}`);
  });
  // HAProxy says nothing when it is ready: it is once its health checks have found a replica behind each frontend.
  const healthy = Promise.all(
    frontends.map((f) => waitUntilHealthy(`http://127.0.0.1:${f.port}`, `${f.name} through HAProxy`, 10 * HEALTH_CHECK_INTERVAL_MS)),
  ).then(
    () => 'healthy' as const,
    (err: Error) => err,
  );
  const started = await Promise.race([healthy, exited.then(() => 'exited' as const)]);
  if (started === 'exited') throw new Error(`HAProxy did not start: ${output.trim()}`);
  if (started instanceof Error) {
    stopping = true;
    child.kill('SIGTERM');
    throw started;
  }
  return {
    pid: child.pid!,
    close: async () => {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

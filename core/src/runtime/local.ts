import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A secret from the environment, or one generated on first start and kept in
 * the data directory (mode 600) so that restarts keep it. `source` says which,
 * for the start-up banner.
 */
export function secretFrom(configured: string | undefined, file: string, make: () => string): { value: string; source: string } {
  if (configured) return { value: configured, source: 'environment' };
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), source: file };
  const value = make();
  writeFileSync(file, value + '\n', { mode: 0o600 });
  return { value, source: `${file} (generated now)` };
}

/** A loopback port free right now, for benches and tests that start real processes. */
export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/**
 * Waits until a service started as a process answers `GET /healthz` (benches
 * only: tests wait for a service's own start-up line, never on time).
 */
export async function waitUntilHealthy(baseUrl: string, name = baseUrl, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${name} did not start within ${timeoutMs / 1000} s`);
}

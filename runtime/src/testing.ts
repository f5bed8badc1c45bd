// Helpers for benches, tests and the CLI's process launcher (`@rehearsal/runtime/testing`):
// nothing a service needs while it runs.
import { createServer } from 'node:net';

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
export * from './test-servers.ts';

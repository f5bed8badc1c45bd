import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { ConfigError } from './config.ts';

/** A service listening: its URL, how to stop it, and what it says when it starts. */
export interface RunningService {
  url: string;
  /** The port it listens on (the configured one, or the one the system chose for port 0). */
  port: number;
  /** The process serving it, when it runs in a process of its own. */
  pid?: number;
  banner: string[];
  close(): Promise<void>;
}

/** How a caller that runs a service in its own process wants it to behave. */
export interface ServeOptions {
  /** Where log lines go (stdout by default): `rehearsal up` keeps stdout for itself. */
  log?: (line: string) => void;
}

/** Listens on host:port; resolves once the socket is bound. */
export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', reject);
  });
}

/** Whether a process of this id is running (signal 0 asks without disturbing it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export const portOf = (server: Server) => (server.address() as AddressInfo).port;

export const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/**
 * A service's `main`: serve with the process environment, print the banner,
 * stop on SIGINT/SIGTERM; a configuration error exits with status 2.
 */
export async function runMain(name: string, serve: (env: NodeJS.ProcessEnv) => Promise<RunningService>): Promise<void> {
  let running: RunningService;
  try {
    running = await serve(process.env);
  } catch (err) {
    if (err instanceof ConfigError || (err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      process.stderr.write(`rehearsal ${name}: ${(err as Error).message}\n`);
      process.exit(2);
    }
    throw err;
  }
  process.stderr.write(['', ...running.banner, ''].join('\n') + '\n');
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

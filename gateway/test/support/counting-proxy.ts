import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A pass-through HTTP proxy in front of core that counts the calls by path: how tests see what the gateway asks core. */
export async function countingProxy(target: string) {
  const counts = new Map<string, number>();
  const server: Server = createServer((req, res) => void pass(req, res));
  async function pass(req: IncomingMessage, res: ServerResponse) {
    counts.set(req.url!, (counts.get(req.url!) ?? 0) + 1);
    let body = '';
    for await (const chunk of req) body += chunk;
    const answer = await fetch(target + req.url, {
      method: req.method,
      headers: { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? 'application/json' },
      body: body || undefined,
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (path: string) => counts.get(path) ?? 0,
    /** Every call so far, by path. */
    calls: () => Object.fromEntries(counts),
    reset: () => counts.clear(),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export type CountingProxy = Awaited<ReturnType<typeof countingProxy>>;

import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Requests handed to each gateway replica in turn, as a load balancer without
 * stickiness would: consecutive steps of one login land on different replicas.
 * (The stack's HAProxy does this in `up --replicas`; here the replicas live in
 * the test's process.) `downed` replicas are skipped, as a health check would.
 */
export async function roundRobinProxy(targets: string[]) {
  let next = 0;
  const down = new Set<number>();
  const served: number[] = targets.map(() => 0);
  const server: Server = createServer((req, res) => {
    const live = targets.map((_, i) => i).filter((i) => !down.has(i));
    const index = live[next++ % live.length]!;
    served[index]!++;
    const target = new URL(targets[index]!);
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** How many requests each replica was handed. */
    served: () => [...served],
    takeDown: (index: number) => down.add(index),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

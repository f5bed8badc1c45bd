import { expect } from 'chai';
import express from 'express';
import type { Server } from 'node:http';
import { ControllableClock } from '../src/clock.ts';
import { harnessRouter } from '../src/harness.ts';
import { errorMiddleware } from '../src/http.ts';
import { silentLogger } from '../src/logger.ts';
import { freePort } from '../src/testing.ts';

const KEY = 'harness-key-0123456789abcdef';

/** Replicas of one service behind a proxy: a harness call reaches one, which passes it on to the others. */
describe('runtime: harness calls reach every replica', () => {
  let servers: Server[] = [];
  let clocks: ControllableClock[];
  let resets: number[];
  let urls: string[];
  let dead: string;

  beforeEach(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    urls = ports.map((p) => `http://127.0.0.1:${p}`);
    dead = `http://127.0.0.1:${await freePort()}`;
    clocks = [0, 1, 2].map(() => new ControllableClock());
    resets = [0, 0, 0];
    servers = await Promise.all(
      [0, 1, 2].map(
        (i) =>
          new Promise<Server>((resolve) => {
            const app = express();
            const siblings = urls.filter((_, j) => j !== i);
            app.use(harnessRouter({ clock: clocks[i]!, keys: [KEY], reset: () => void resets[i]!++, siblings: i === 0 ? [...siblings, dead] : siblings }));
            app.use(errorMiddleware(silentLogger));
            const s = app.listen(ports[i]!, '127.0.0.1', () => resolve(s));
          }),
      ),
    );
  });
  afterEach(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

  const post = async (url: string, path: string, body: unknown) => {
    const answer = await fetch(url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: answer.status, body: (await answer.json()) as Record<string, any> };
  };

  it('moves every replica to the instant the first one reached, and names a replica it could not reach', async () => {
    const frozen = await post(urls[0]!, '/_rehearsal/clock', { freeze: true, at: '2026-11-23T09:00:00Z' });
    expect(frozen.status).to.equal(200);
    expect(frozen.body.replicas).to.deep.equal({ reached: 2, unreached: [dead] });
    const advanced = await post(urls[1]!, '/_rehearsal/clock', { advance: '31m' });
    expect(advanced.body).to.include({ now: '2026-11-23T09:31:00.000Z', frozen: true });
    expect(advanced.body.replicas).to.deep.equal({ reached: 2, unreached: [] });
    expect(clocks.map((c) => c.now().toISOString())).to.deep.equal(Array(3).fill('2026-11-23T09:31:00.000Z'));
    expect(clocks.every((c) => c.state().frozen)).to.equal(true);
  });

  it('resets every replica once, with its clock', async () => {
    await post(urls[2]!, '/_rehearsal/clock', { freeze: true, advance: '2h' });
    const reset = await post(urls[2]!, '/_rehearsal/reset', {});
    expect(reset.body.replicas).to.deep.equal({ reached: 2, unreached: [] });
    expect(resets).to.deep.equal([1, 1, 1]);
    expect(clocks.map((c) => c.state().frozen)).to.deep.equal([false, false, false]);
  });

  it('passes nothing on without the key', async () => {
    const refused = await fetch(urls[0] + '/_rehearsal/reset', { method: 'POST' });
    expect(refused.status).to.equal(401);
    expect(resets).to.deep.equal([0, 0, 0]);
  });
});

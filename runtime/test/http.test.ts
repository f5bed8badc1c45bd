import { expect } from 'chai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { RehearsalError, createLogger, errorMiddleware, reasons, reasonsMarkdown, refusals, routeNotFound } from '../src/index.ts';

const json = (response: Response): Promise<any> => response.json();

describe('runtime/http error middleware', () => {
  const logged: string[] = [];
  let url: string;
  let close: () => Promise<void>;

  before(async () => {
    const app = express();
    app.use(express.json({ limit: '1kb' }));
    app.get('/boom', () => {
      throw new Error('secret internals at /srv/app.ts:42');
    });
    app.get('/async-boom', async () => {
      await Promise.resolve();
      throw new TypeError('undefined is not a function');
    });
    app.get('/refused', () => {
      throw new RehearsalError('some-rule', 'Not allowed.', { status: 422, details: [{ path: 'body.x', message: 'bad' }] });
    });
    app.post('/echo', (req, res) => {
      res.json(req.body);
    });
    app.use(routeNotFound);
    app.use(errorMiddleware(createLogger({ service: 'test', write: (line) => logged.push(line) })));
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  after(() => close());

  it('turns an unexpected error into a 500 that leaks nothing, and logs the stack', async () => {
    for (const path of ['/boom', '/async-boom']) {
      const response = await fetch(url + path);
      const text = await response.text();
      expect(response.status).to.equal(500);
      expect(JSON.parse(text)).to.deep.equal({ error: { code: 'internal-error', message: 'An unexpected error occurred; see the service log.' } });
      expect(text).not.to.match(/secret|stack|\.ts|not a function/);
    }
    expect(logged.some((line) => JSON.parse(line).err?.stack?.includes('secret internals'))).to.equal(true);
  });

  it('keeps the code, status and details of a refusal', async () => {
    const response = await fetch(url + '/refused');
    expect(response.status).to.equal(422);
    expect(await response.json()).to.deep.equal({ error: { code: 'some-rule', message: 'Not allowed.', details: [{ path: 'body.x', message: 'bad' }] } });
  });

  it('answers malformed JSON with 400 malformed-json and oversized bodies with 413', async () => {
    const malformed = await fetch(url + '/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
    expect(malformed.status).to.equal(400);
    expect((await json(malformed)).error.code).to.equal('malformed-json');
    const big = await fetch(url + '/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(5000) }) });
    expect(big.status).to.equal(413);
    expect((await json(big)).error.code).to.equal('payload-too-large');
  });

  it('answers unknown routes with 404 route-not-found', async () => {
    const response = await fetch(url + '/nowhere');
    expect(response.status).to.equal(404);
    expect((await json(response)).error.code).to.equal('route-not-found');
  });

  it('logs one JSON object a line, filtered by level', () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 'svc', level: 'warn', write: (l) => lines.push(l) }).child({ requestId: 'r1' });
    logger.info('hidden');
    logger.warn('shown', { n: 1 });
    expect(lines).to.have.length(1);
    expect(JSON.parse(lines[0]!)).to.include({ level: 'warn', service: 'svc', msg: 'shown', requestId: 'r1', n: 1 });
  });
});

describe('runtime/reasons', () => {
  const table = reasons({
    'thing-missing': { status: 404, sentence: 'No such thing.' },
    'thing-odd': { status: [422, 400], sentence: 'The thing is odd.' },
  });

  it('makes refusals with the status the table declares, and the sentence when no message is given', () => {
    const error = table.error('thing-missing');
    expect(error).to.be.instanceOf(RehearsalError);
    expect(error).to.include({ code: 'thing-missing', status: 404, message: 'No such thing.' });
    expect(table.error('thing-odd', 'Odd here.', { status: 400 })).to.include({ status: 400, message: 'Odd here.' });
    expect(table.statusOf('thing-odd')).to.equal(422);
  });

  it('refuses a status the table does not list for the code: a mistake in the code base, caught by its tests', () => {
    expect(() => table.error('thing-missing', 'x', { status: 400 })).to.throw(/answers 404, not 400/);
    expect(() => refusals(table).badRequest('thing-missing')).to.throw(/answers 404, not 400/);
    expect(refusals(table).notFound('thing-missing').status).to.equal(404);
  });

  it('lists a table as Markdown rows, sorted by code', () => {
    expect(reasonsMarkdown(table.table).split('\n')).to.deep.equal([
      '| Code | HTTP | Meaning |',
      '| --- | --- | --- |',
      '| `thing-missing` | 404 | No such thing. |',
      '| `thing-odd` | 422, 400 | The thing is odd. |',
    ]);
  });
});

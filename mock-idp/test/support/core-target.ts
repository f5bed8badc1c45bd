import { startCore, type TestCore } from '../../../core/test/support/core.ts';
import { scimFixture, type ScimClient } from '../../../core/test/support/scim.ts';
import type { TestIdp } from './idp.ts';

/** Core's SCIM server on loopback, as the provisioning target, with a SCIM client to look at what landed. */
export interface CoreTarget {
  core: TestCore;
  scim: ScimClient;
  baseUrl: string;
  token: string;
  /** Switches the directory's SCIM fidelity (`rfc`, the default, or `atlassian`). */
  setFidelity(fidelity: 'rfc' | 'atlassian'): Promise<unknown>;
  close(): Promise<void>;
}

export async function startCoreTarget(): Promise<CoreTarget> {
  const core = await startCore();
  const { org, directory, scim } = await scimFixture(core);
  return {
    core,
    scim,
    baseUrl: `${core.url}/scim/directory/${directory.id}`,
    token: directory.scim.token,
    setFidelity: (scimFidelity) => core.patch(`/api/orgs/${org.id}/directories/${directory.id}`, { scimFidelity }),
    close: () => core.close(),
  };
}

/** Registers core as a target of the IdP; returns the target's id. */
export async function addTarget(idp: TestIdp, target: CoreTarget, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await idp.request('POST', '/api/provisioning/targets', { id: 'core', baseUrl: target.baseUrl, token: target.token, concurrency: 1, ...extra });
  if (res.status !== 201) throw new Error(`target refused: ${res.text}`);
  return res.body.id;
}

export async function runCycle(idp: TestIdp, kind: 'initial' | 'incremental', id = 'core') {
  const res = await idp.request('POST', `/api/provisioning/targets/${id}/cycles`, { kind, wait: true });
  if (res.status !== 200) throw new Error(`cycle refused: ${res.text}`);
  return res.body;
}

/** The requests a cycle sent, as `METHOD path` plus body, in order. */
export async function wireOf(idp: TestIdp, cycle: string, id = 'core') {
  const { entries } = (await idp.request('GET', `/api/provisioning/targets/${id}/log?cycle=${cycle}&limit=100000`)).body;
  return (entries as { method: string; url: string; requestBody?: unknown; status: number }[]).map((e) => ({
    request: `${e.method} ${decodeURIComponent(e.url.slice(e.url.indexOf('/scim/directory/')).replace(/^\/scim\/directory\/[^/]+/, ''))}`,
    body: e.requestBody,
    status: e.status,
  }));
}

export interface Interception {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A proxy in front of core's SCIM server that can answer some requests itself
 * (429, 503, 400, 401) or hold them: a flaky target, made of real HTTP.
 */
export async function flakyProxy(
  target: CoreTarget,
  decide: (method: string, path: string, body: string) => Interception | 'pass' | Promise<Interception | 'pass'>,
) {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => void answer(req, res));
  async function answer(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) {
    let body = '';
    for await (const chunk of req) body += chunk;
    const verdict = await decide(req.method!, req.url!, body);
    if (verdict !== 'pass') {
      res
        .writeHead(verdict.status, { 'content-type': 'application/scim+json', ...verdict.headers })
        .end(verdict.body === undefined ? '' : JSON.stringify(verdict.body));
      return;
    }
    const upstream = await fetch(new URL(target.baseUrl).origin + req.url!, {
      method: req.method,
      headers: { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? 'application/scim+json' },
      body: body || undefined,
    });
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/scim+json' }).end(await upstream.text());
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    baseUrl: `http://127.0.0.1:${port}${new URL(target.baseUrl).pathname}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

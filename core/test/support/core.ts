import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCoreApp, type CoreAppOptions } from '../../src/app.ts';
import { ControllableClock } from '@rehearsal/runtime';
import type { Store } from '../../src/store/store.ts';
import { openTestStore } from './test-store.ts';

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef';
export const GATEWAY_KEY = 'test-gateway-key-0123456789abcdef';
export const HARNESS_KEY = 'test-harness-key-0123456789abcdef';
export const GATEWAY_URL = 'http://localhost:8000';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  key?: string | null;
  headers?: Record<string, string>;
  /** Sent as-is instead of JSON-encoding `body`. */
  raw?: string;
}

/** A real core on a loopback port with a real store: a SQLite file in a temporary folder, or a PostgreSQL schema of its own (DATABASE_URL). */
export interface TestCore {
  url: string;
  clock: ControllableClock;
  store: Store;
  request<T = any>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  get<T = any>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  post<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  put<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  patch<T = any>(path: string, body?: unknown, options?: RequestOptions): Promise<ApiResponse<T>>;
  delete<T = any>(path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

export async function startCore(overrides: Partial<CoreAppOptions> = {}): Promise<TestCore> {
  const dir = mkdtempSync(join(tmpdir(), 'rehearsal-core-'));
  const store = await openTestStore(dir);
  const clock = new ControllableClock();
  clock.freeze(new Date('2026-11-23T09:00:00Z'));
  const app = createCoreApp({
    store,
    clock,
    credentials: { adminKey: ADMIN_KEY, gatewayKey: GATEWAY_KEY },
    harnessKey: HARNESS_KEY,
    gatewayUrl: GATEWAY_URL,
    ...overrides,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const request = async (method: string, path: string, body?: unknown, options: RequestOptions = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? ADMIN_KEY : options.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let payload: string | undefined = options.raw;
    if (payload === undefined && body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(url + path, { method, headers, body: payload });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as any, headers: response.headers };
  };

  return {
    url,
    clock,
    store,
    request,
    get: (path, options) => request('GET', path, undefined, options),
    post: (path, body, options) => request('POST', path, body, options),
    put: (path, body, options) => request('PUT', path, body, options),
    patch: (path, body, options) => request('PATCH', path, body, options),
    delete: (path, options) => request('DELETE', path, undefined, options),
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An organization with a verified domain (through the harness DNS), ready for policy work. */
export async function orgWithVerifiedDomain(core: TestCore, options: { name?: string; plan?: string; domain?: string; admins?: string[] } = {}) {
  const domainName = options.domain ?? 'acme.com';
  const org = (
    await core.post('/api/orgs', { name: options.name ?? 'Acme', plan: options.plan ?? 'enterprise', admins: options.admins ?? [`root@${domainName}`] })
  ).body;
  const domain = (await core.post(`/api/orgs/${org.id}/domains`, { name: domainName })).body;
  await core.post('/_rehearsal/dns', { domain: domainName, txt: domain.verification.dns.value }, { key: HARNESS_KEY });
  const verified = await core.post(`/api/orgs/${org.id}/domains/${domain.id}/verify`, { method: 'dns' });
  if (verified.status !== 200) throw new Error(`verification failed: ${JSON.stringify(verified.body)}`);
  return { org, domain: verified.body.domain };
}

/** A self-signed certificate PEM for SAML connection tests (generated once per run, never committed). */
let certificate: string | undefined;
export async function testCertificate(): Promise<string> {
  if (certificate) return certificate;
  const { execFileSync } = await import('node:child_process');
  const dir = mkdtempSync(join(tmpdir(), 'rehearsal-cert-'));
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '30', '-subj', '/CN=mock-idp.test'],
      { stdio: 'ignore' },
    );
    certificate = (await import('node:fs')).readFileSync(join(dir, 'c.pem'), 'utf8');
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

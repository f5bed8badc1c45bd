import http from 'node:http';
import https from 'node:https';

import type { SamlConnection } from '../directories/saml-connection.ts';
import type { LoginDecision } from '../login/login-decision.ts';

/**
 * The typed client of core's gateway API (`@rehearsal/core/client`): the few
 * endpoints the gateway calls, with the gateway's key, over HTTP only
 * (DESIGN.md). The types are core's own, so both sides change together.
 */
export type { LoginDecision };

/** A SAML connection as `GET /api/login/connections/:id` shows it: the IdP to trust and the SP URLs it was given. */
export type Connection = SamlConnection & { spEntityId: string; acsUrl: string };

export class CoreUnavailable extends Error {}

export class CoreClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });

  constructor(
    private readonly baseUrl: string,
    /** The key, or how to read it when first needed (core may write it after the gateway starts). */
    private readonly key: string | (() => string),
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let response: Response;
    let key: string;
    try {
      key = typeof this.key === 'string' ? this.key : this.key();
    } catch (err) {
      throw new CoreUnavailable(`core's gateway key is not available yet: ${(err as Error).message}`);
    }
    try {
      response = await fetch(this.baseUrl.replace(/\/+$/, '') + path, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new CoreUnavailable(`core at ${this.baseUrl} is unreachable: ${(err as Error).message}`);
    }
    const text = await response.text();
    if (response.status >= 500 || response.status === 401 || response.status === 403) throw new CoreUnavailable(`core answered ${response.status} to ${method} ${path}: ${text.slice(0, 200)}`);
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /**
   * A product request on behalf of the signed-in person, with the gateway's
   * identity token instead of its key. On the hot path of every product call:
   * node's http client with kept-alive connections, not fetch, and core's JSON
   * handed back as text, for the gateway to pass through untouched.
   */
  asPerson(path: string, token: string): Promise<{ status: number; text: string }> {
    const url = this.baseUrl.replace(/\/+$/, '') + path;
    return new Promise((resolve, reject) => {
      const req = (url.startsWith('https:') ? https : http).request(url, { agent: url.startsWith('https:') ? this.httpsAgent : this.httpAgent, timeout: 10_000, headers: { authorization: `Bearer ${token}` } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 500) return reject(new CoreUnavailable(`core answered ${status} to GET ${path}`));
          resolve({ status, text });
        });
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', (err) => reject(new CoreUnavailable(`core at ${this.baseUrl} is unreachable: ${err.message}`)));
      req.end();
    });
  }

  async decide(email: string): Promise<LoginDecision | undefined> {
    const answer = await this.call<LoginDecision>('POST', '/api/login/decision', { email });
    return answer.status === 200 ? answer.body : undefined;
  }

  async connection(id: string): Promise<Connection | undefined> {
    const answer = await this.call<Connection>('GET', `/api/login/connections/${encodeURIComponent(id)}`);
    return answer.status === 200 ? answer.body : undefined;
  }

  async checkPassword(email: string, password: string): Promise<{ valid: boolean; reason: string }> {
    return (await this.call<{ valid: boolean; reason: string }>('POST', '/api/login/password', { email, password })).body;
  }

  /** 200 with the change, or core's refusal (a weak password) as { error }. */
  async changePassword(email: string, password: string): Promise<{ status: number; body: any }> {
    return this.call('POST', '/api/login/password/change', { email, password });
  }

  async enrolTwoStep(email: string, secret: string, code: string): Promise<{ status: number; body: any }> {
    return this.call('POST', '/api/login/two-step/enrol', { email, secret, code });
  }

  async verifyTwoStep(email: string, code: string): Promise<{ valid: boolean; reason: string; recoveryCodesLeft: number }> {
    return (await this.call<{ valid: boolean; reason: string; recoveryCodesLeft: number }>('POST', '/api/login/two-step/verify', { email, code })).body;
  }

  async recordLogin(email: string, method: 'sso' | 'password', displayName?: string): Promise<void> {
    await this.call('POST', '/api/login/record', { email, method, ...(displayName ? { displayName } : {}) });
  }
}

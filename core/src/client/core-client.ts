import { Pool } from 'undici';

import type { SamlConnection, serviceProviderDetails } from '../directories/saml-connection.ts';
import type { LoginDecision } from '../login/login-decision.ts';
import type { LoginCompletion, PasswordFacts, SsoFacts } from '../login/login-service.ts';

/**
 * The typed client of core's gateway API (`@rehearsal/core/client`): the few
 * endpoints the gateway calls, with the gateway's key, over HTTP only
 * (DESIGN.md). The types are core's own, so both sides change together.
 */
export type { LoginDecision, LoginCompletion, PasswordFacts, SsoFacts };
/** What `GET /api/orgs/{id}/people` answers (the console's People page reads it). */
export type { Person, PeoplePage } from '../people/people.ts';

/** A SAML connection as `GET /api/login/connections/:id` shows it: the IdP to trust and the SP URLs it was given. */
export type Connection = SamlConnection & { spEntityId: string; acsUrl: string };
export type ServiceProviderDetails = ReturnType<typeof serviceProviderDetails>;

export class CoreUnavailable extends Error {}

export class CoreClient {
  /** Kept-alive connections to core (undici costs less per request than node:http or fetch; see the gateway bench). */
  private readonly pool: Pool;
  /** A path prefix of the base URL, for a core served below the root. */
  private readonly prefix: string;

  constructor(
    private readonly baseUrl: string,
    /** The key, or how to read it when first needed (core may write it after the gateway starts). */
    private readonly key: string | (() => string),
  ) {
    const url = new URL(baseUrl);
    this.pool = new Pool(url.origin, { connections: 64 });
    this.prefix = url.pathname.replace(/\/+$/, '');
  }

  /** One request over the pool; a core that does not answer is CoreUnavailable. */
  private async send(method: 'GET' | 'POST', path: string, authorization: string, body?: unknown): Promise<{ status: number; text: string }> {
    try {
      const answer = await this.pool.request({
        path: this.prefix + path,
        method,
        headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      return { status: answer.statusCode, text: await answer.body.text() };
    } catch (err) {
      throw new CoreUnavailable(`core at ${this.baseUrl} is unreachable: ${(err as Error).message}`);
    }
  }

  /** A call with the gateway's key; core refusing the key, or failing, is CoreUnavailable. */
  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    let key: string;
    try {
      key = typeof this.key === 'string' ? this.key : this.key();
    } catch (err) {
      throw new CoreUnavailable(`core's gateway key is not available yet: ${(err as Error).message}`);
    }
    const { status, text } = await this.send(method, path, `Bearer ${key}`, body);
    if (status >= 500 || status === 401 || status === 403) throw new CoreUnavailable(`core answered ${status} to ${method} ${path}: ${text.slice(0, 200)}`);
    return { status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  /**
   * A product request on behalf of the signed-in person, with the gateway's
   * identity token instead of its key. On the hot path of every product call:
   * core's JSON is handed back as text, for the gateway to pass through untouched.
   */
  async asPerson(path: string, token: string): Promise<{ status: number; text: string }> {
    const answer = await this.send('GET', path, `Bearer ${token}`);
    if (answer.status >= 500) throw new CoreUnavailable(`core answered ${answer.status} to GET ${path}`);
    return answer;
  }

  /** The first call of a login: core's decision, and the connection to send the AuthnRequest to when the path can be SSO. */
  async startLogin(email: string): Promise<{ decision: LoginDecision; connection: Connection | null } | undefined> {
    const answer = await this.call<{ decision: LoginDecision; connection: Connection | null }>('POST', '/api/login/start', { email });
    return answer.status === 200 ? answer.body : undefined;
  }

  /** The last call of a login: core re-decides, records and answers what the session must be (or why there is none). */
  async completeLogin(facts: SsoFacts | PasswordFacts): Promise<LoginCompletion> {
    const answer = await this.call<LoginCompletion | { error: { code: string; message: string } }>('POST', '/api/login/complete', facts);
    if ('error' in answer.body)
      return {
        completed: false,
        reason: answer.body.error.code as never,
        message: answer.body.error.message,
        email: 'email' in facts ? facts.email : facts.nameId,
      };
    return answer.body;
  }

  /** The SP side of a connection, or of the one an IdP directory will have (its SP metadata): undefined for neither. */
  async serviceProvider(id: string): Promise<ServiceProviderDetails | undefined> {
    const answer = await this.call<ServiceProviderDetails>('GET', `/api/login/service-providers/${encodeURIComponent(id)}`);
    return answer.status === 200 ? answer.body : undefined;
  }

  async connection(id: string): Promise<Connection | undefined> {
    const answer = await this.call<Connection>('GET', `/api/login/connections/${encodeURIComponent(id)}`);
    return answer.status === 200 ? answer.body : undefined;
  }

  /** The first call of the password path: the password's check and, when it is right, core's decision. */
  async checkPassword(email: string, password: string): Promise<{ valid: boolean; reason: string; decision?: LoginDecision }> {
    return (await this.call<{ valid: boolean; reason: string; decision?: LoginDecision }>('POST', '/api/login/password', { email, password })).body;
  }

  /** 200 with the change, or core's refusal (a weak password) as { error }. */
  async changePassword(email: string, password: string): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
    return this.call('POST', '/api/login/password/change', { email, password });
  }
}

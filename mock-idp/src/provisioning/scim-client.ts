import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import type { Clock } from '@rehearsal/runtime';
import type { WireRequest } from './profiles.ts';
import type { ScimResource } from './scim-path.ts';

/** One request and its answer, as the provisioning log keeps it (the token never appears). */
export interface Exchange {
  method: string;
  url: string;
  requestBody?: unknown;
  status: number;
  responseBody?: ScimBody;
  attempt: number;
  durationMs: number;
  time: string;
}

/**
 * A target's JSON answer, as far as the engine reads it: a resource's id, a
 * list's Resources, and an error's detail and scimType. Anything else a target
 * sends is kept, unread. A text answer (not JSON) is a string.
 */
export type ScimBody =
  | (ScimResource & { id?: string | number; Resources?: (ScimResource & { id?: string | number })[]; detail?: unknown; scimType?: unknown; error?: unknown })
  | string
  | undefined;

type ScimJson = Exclude<ScimBody, string | undefined>;

/** The answer's JSON object, if it sent one. */
export const jsonOf = (answer: { body: ScimBody }): ScimJson | undefined => (typeof answer.body === 'object' ? answer.body : undefined);

export interface ScimAnswer {
  status: number;
  body: ScimBody;
  /** Every attempt made, the last one answering. */
  exchanges: Exchange[];
}

/** Waits `ms` on the injected clock: a frozen test clock moves forward at once, a live one really waits. */
export type Sleep = (ms: number) => Promise<void>;

export interface RetryPolicy {
  attempts: number;
  delayMs: number;
}

const MAX_DELAY_MS = 5 * 60_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** 429 and 5xx are worth another try; so is a connection that failed outright (status 0). */
export const isRetryable = (status: number) => status === 0 || status === 429 || status >= 500;

/** Seconds or an HTTP date (RFC 9110 §10.2.3), as a delay from `now`. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * A SCIM client for one target: bearer token, application/scim+json, retries
 * with exponential backoff that honour Retry-After. Waiting goes through
 * `sleep`, so tests drive it with the clock.
 */
export class ScimClient {
  /** Kept-alive connections: node's http client costs a fraction of fetch per request, which a 30,000-request cycle feels. */
  private readonly agent: http.Agent;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly retry: RetryPolicy,
    private readonly clock: Clock,
    private readonly sleep: Sleep,
    concurrency = 8,
  ) {
    const options = { keepAlive: true, maxSockets: concurrency };
    this.agent = baseUrl.startsWith('https:') ? new https.Agent(options) : new http.Agent(options);
  }

  private exchange(request: WireRequest, url: string): Promise<{ status: number; text: string; retryAfter: string | null }> {
    const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
    const client = url.startsWith('https:') ? https : http;
    return new Promise((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: request.method,
          agent: this.agent,
          timeout: REQUEST_TIMEOUT_MS,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/scim+json',
            ...(payload === undefined ? {} : { 'content-type': 'application/scim+json', 'content-length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text, retryAfter: res.headers['retry-after'] ?? null }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }

  async send(request: WireRequest): Promise<ScimAnswer> {
    const url = this.baseUrl.replace(/\/+$/, '') + request.path;
    const exchanges: Exchange[] = [];
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      const time = this.clock.now().toISOString();
      let status = 0;
      let body: ScimBody;
      let retryAfter: string | null = null;
      try {
        const response = await this.exchange(request, url);
        status = response.status;
        retryAfter = response.retryAfter;
        try {
          body = response.text ? (JSON.parse(response.text) as ScimBody) : undefined;
        } catch {
          body = response.text.slice(0, 2000);
        }
      } catch (err) {
        body = { error: (err as Error).message };
      }
      exchanges.push({
        method: request.method,
        url,
        requestBody: request.body,
        status,
        responseBody: body,
        attempt,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        time,
      });
      if (!isRetryable(status) || attempt > this.retry.attempts) return { status, body, exchanges };
      const backoff = Math.min(MAX_DELAY_MS, this.retry.delayMs * 2 ** (attempt - 1));
      await this.sleep(Math.min(MAX_DELAY_MS, retryAfterMs(retryAfter, this.clock.now()) ?? backoff));
    }
  }
}

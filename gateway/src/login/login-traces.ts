import { randomUUID } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import type { Response } from 'express';
import { z } from 'zod';
import { endAfter, parseInput, RehearsalError, type Clock, type Web } from '@rehearsal/runtime';
import { MemoryTraceStore, type TraceStore } from './trace-store.ts';

/** Which service a step of a login happened in, as the console's timeline shows it. */
export type TraceService = 'gateway' | 'core' | 'idp';

export interface TraceStep {
  at: string;
  service: TraceService;
  /** `decision`, `authn-request`, `response`, `checks`, `session` or `refusal`, and the password path's later steps (`two-step`, `password-change`...). */
  step: string;
  summary: string;
  reason?: string;
  /** A SAML message, decoded. */
  xml?: string;
  /** The response checks passed, in order. */
  checks?: string[];
}

/** One login as the gateway saw it, from the email to the session or the refusal. */
export interface LoginTrace {
  id: string;
  /** Bumped on every change: a reader asks for what changed after the last version it saw. */
  version: number;
  startedAt: string;
  email: string | null;
  method: 'sso' | 'password' | 'idp-initiated';
  connectionId: string | null;
  /** The AuthnRequest's ID, which the IdP's ledger and the response refer to. */
  requestId: string | null;
  outcome: 'pending' | 'logged-in' | 'refused';
  reason: string | null;
  steps: TraceStep[];
}

const query = z
  .object({
    after: z.coerce.number().int().min(0).optional(),
    email: z.string().max(320).optional(),
    outcome: z.enum(['pending', 'logged-in', 'refused']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

const TRACE = 'rehearsalLoginTrace';
/** The saves of the answer's trace: the answer leaves once they are done, so the next step, on any replica, finds it. */
const SAVING = 'rehearsalLoginTraceSaving';

/**
 * The recent logins, step by step, for the console's live trace: the email,
 * core's decision, the AuthnRequest, the IdP's response with every check, and the
 * session or the refusal with its reason code. The trace of the request being
 * answered rides on `res.locals`, so a refusal anywhere on the path closes it.
 */
export class LoginTraces {
  constructor(
    private readonly clock: Clock,
    private readonly store: TraceStore = new MemoryTraceStore(),
  ) {}

  /** A new login, the trace of this answer from now on. */
  begin(res: Response, email: string | null, method: LoginTrace['method']): LoginTrace {
    const trace: LoginTrace = {
      id: randomUUID(),
      version: 0,
      startedAt: this.clock.now().toISOString(),
      email: email?.toLowerCase() ?? null,
      method,
      connectionId: null,
      requestId: null,
      outcome: 'pending',
      reason: null,
      steps: [],
    };
    this.attach(res, trace);
    this.save(res, trace);
    return trace;
  }

  /** The login an AuthnRequest started, or the newest pending login of an email (a later step of the password path). */
  async resume(res: Response, by: { requestId?: string | undefined; email?: string | undefined }): Promise<LoginTrace | undefined> {
    const trace =
      (by.requestId ? await this.store.byRequest(by.requestId) : undefined) ??
      (by.email ? await this.store.pendingPassword(by.email.toLowerCase()) : undefined);
    if (trace) this.attach(res, trace);
    return trace;
  }

  of(res: Response): LoginTrace | undefined {
    return res.locals[TRACE] as LoginTrace | undefined;
  }

  step(res: Response, step: Omit<TraceStep, 'at'>, fields: Partial<Pick<LoginTrace, 'email' | 'connectionId' | 'requestId'>> = {}): void {
    const trace = this.of(res);
    if (!trace) return;
    trace.steps.push({ at: this.clock.now().toISOString(), ...step });
    Object.assign(trace, fields);
    this.save(res, trace);
  }

  /** The AuthnRequest a redirect carries (the Location passport-saml set), decoded. */
  authnRequestSent(res: Response, connectionId: string): void {
    const location = String(res.getHeader('location') ?? '');
    const encoded = location ? new URL(location).searchParams.get('SAMLRequest') : null;
    if (!encoded) return;
    const xml = inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
    const requestId = /\sID="([^"]+)"/.exec(xml)?.[1];
    this.step(
      res,
      { service: 'gateway', step: 'authn-request', summary: `AuthnRequest sent to ${new URL(location).origin}`, xml },
      { connectionId, ...(requestId ? { requestId } : {}) },
    );
  }

  /** The login ended: a session, or a refusal with its reason code. */
  finish(res: Response, outcome: 'logged-in' | 'refused', reason: string, summary: string, service: TraceService = 'gateway', email?: string): void {
    const trace = this.of(res);
    if (!trace || trace.outcome !== 'pending') return;
    trace.outcome = outcome;
    trace.reason = reason;
    this.step(res, { service, step: outcome === 'logged-in' ? 'session' : 'refusal', summary, reason }, email ? { email: email.toLowerCase() } : {});
  }

  /** The step this answer took was not a login (a page shown before any outcome): nothing to keep. */
  discard(res: Response): void {
    const trace = this.of(res);
    if (trace) res.locals[SAVING] = Promise.all([res.locals[SAVING], this.store.remove(trace)]);
    delete res.locals[TRACE];
  }

  /** Newest last, those changed after `after` (a version), filtered by email and outcome. */
  async list(input: unknown): Promise<{ logins: LoginTrace[]; version: number }> {
    const q = parseInput(query, input, 'query');
    return this.store.list({ ...q, email: q.email?.toLowerCase() });
  }

  clear(): Promise<void> {
    return this.store.clear();
  }

  /** This answer's trace; its end waits for the trace's saves (once per answer). */
  private attach(res: Response, trace: LoginTrace): void {
    res.locals[TRACE] = trace;
    if (res.locals[SAVING]) return;
    res.locals[SAVING] = Promise.resolve();
    // A trace is a diagnosis: one Redis did not take leaves the login itself as it was.
    endAfter(res, () => res.locals[SAVING] as Promise<unknown>);
  }

  private save(res: Response, trace: LoginTrace): void {
    res.locals[SAVING] = Promise.all([res.locals[SAVING], this.store.put(trace)]);
  }
}

/** The site's refusals, each closing the login it ends (when the answer belongs to one). */
export function tracedWeb(site: Web, traces: LoginTraces): Web {
  return {
    ...site,
    refuse(req, res, status, code, message, headers) {
      traces.finish(res, 'refused', code, message);
      site.refuse(req, res, status, code, message, headers);
    },
    errors(err, req, res, next) {
      if (err instanceof RehearsalError) traces.finish(res, 'refused', err.code, err.message);
      site.errors(err, req, res, next);
    },
  };
}

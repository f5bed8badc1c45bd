import type { RequestHandler, Request, Response } from 'express';
import type { ControllableClock, Logger, Web } from '@rehearsal/runtime';
import type { Connection, CoreClient, LoginCompletion } from '@rehearsal/core/client';
import type { LoginTraces } from './login/login-traces.ts';
import type { PendingLogins } from './login/pending-logins.ts';
import type { GatewayReason } from './reasons.ts';
import type { Throttle } from './login/throttle.ts';
import type { IdentityTokens } from './products/identity-tokens.ts';
import type { SamlServiceProvider } from './saml/service-provider.ts';
import type { SessionStore } from './sessions/session-store.ts';
import type { Sessions } from './sessions/sessions.ts';

/** A login core completed, as the session it asks for is started. */
export type CompletedLogin = Extract<LoginCompletion, { completed: true }>;

/**
 * What the gateway's routers share, made once by `createGatewayApp`. Each
 * router takes the part it needs: the protocol state (SAML SP, pending logins,
 * throttle, sessions) lives here, every rule lives in core.
 */
export interface GatewayContext {
  publicUrl: string;
  clock: ControllableClock;
  logger: Logger;
  core: CoreClient;
  web: Web;
  store: SessionStore;
  sessions: Sessions;
  sp: SamlServiceProvider;
  pending: PendingLogins;
  throttle: Throttle;
  identity: IdentityTokens;
  /** The recent logins, step by step (`GET /api/logins`). */
  traces: LoginTraces;
  adminKey: string;
  harnessKey: string | undefined;
  /** The other replicas, which harness calls are passed on to. */
  siblings: string[];
  parsers: { form: RequestHandler; body: RequestHandler };
  /** A refusal of the gateway's own (its status from GATEWAY_REASONS): a page for browsers, JSON for API clients. */
  refuse(req: Request, res: Response, code: GatewayReason, message?: string, options?: { status?: number; headers?: Record<string, string> }): void;
  /** A connection from core, or 404 connection-unknown. */
  connectionFor(id: string): Promise<Connection>;
  /** Starts the session a completed login asks for (a new id: no fixation) and answers the request. */
  startSession(req: Request, res: Response, login: CompletedLogin, relayState: string, shown?: Record<string, unknown>): Promise<void>;
}

/** RelayState may only lead back into the gateway: a path, never another host (`//evil`, `/\evil`). */
export const isRelativePath = (value: string) => /^\/(?![/\\])[^\s]*$/.test(value) && !value.includes('\\');

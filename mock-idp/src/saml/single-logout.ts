import type { Clock } from '@rehearsal/runtime';
import type { Binding, Ledger } from '../ledger/ledger.ts';
import { notFound } from '../reasons.ts';
import type { ServiceProviderRegistry } from '../service-providers/registry.ts';
import type { IdpSession, SentNameId } from './idp-sessions.ts';
import type { IdpIdentity } from './login-response.ts';
import { buildLogoutRequest, buildLogoutResponse, postBindingValue, redirectBindingUrl } from './logout.ts';
import { samlId } from './random-ids.ts';
import { STATUS } from './response.ts';

/** How one session participant fared: told and logged out, told and failed, or never told (no SLO endpoint). */
export type LogoutOutcome = 'pending' | 'logged-out' | 'failed' | 'no-slo-endpoint';

export interface LogoutStepView {
  sp: string;
  outcome: LogoutOutcome;
  /** The LogoutRequest sent to it. */
  requestId?: string;
  /** Why it failed: the status it answered, or why its answer was refused. */
  detail?: string;
}

/** A single logout as the API and the pages show it. */
export interface LogoutView {
  id: string;
  user?: string;
  /** The SP whose LogoutRequest started it; absent for IdP-initiated logout. */
  initiator?: string;
  /** `partial` when a participant failed or could not be told (the initiator is then answered PartialLogout). */
  status: 'in-progress' | 'complete' | 'partial';
  steps: LogoutStepView[];
}

/** The SP whose LogoutRequest started a logout, answered once every other participant was told. */
export interface LogoutInitiator {
  sp: string;
  requestId: string;
  relayState?: string;
  binding: 'redirect' | 'post';
}

/** Where the browser goes next: to a participant (or back to the initiator), or nowhere: the logout is over. */
export type LogoutNext =
  | { kind: 'redirect'; location: string; logout: LogoutView }
  | { kind: 'post'; delivery: { acsUrl: string; samlResponse: string; relayState?: string; xml: string }; logout: LogoutView }
  | { kind: 'finished'; logout: LogoutView };

interface Flow {
  id: string;
  user?: string;
  initiator?: LogoutInitiator;
  queue: { sp: string; nameId?: SentNameId; sessionIndex: string }[];
  steps: LogoutStepView[];
  expiresAt: number;
  finished: boolean;
}

/** How long a browser may take to walk through every participant. */
const FLOW_TTL_MS = 10 * 60_000;
const MAX_FLOWS = 10_000;

/**
 * Single logout propagated to every SP of the ended sessions, front-channel
 * and in turn, as the common IdPs do: the browser carries a signed
 * LogoutRequest to each participant with an SLO endpoint, each answers with a
 * LogoutResponse back at /saml/slo, and then the next is told. Every step is
 * in the ledger; a participant that fails or cannot be told makes the logout
 * partial (PartialLogout to the SP that started it).
 */
export class SingleLogout {
  private readonly flows = new Map<string, Flow>();
  /** The flow each LogoutRequest sent belongs to, by its ID (the InResponseTo of the answer). */
  private readonly byRequest = new Map<string, string>();

  constructor(
    private readonly deps: {
      idp: IdpIdentity;
      providers: ServiceProviderRegistry;
      ledger: Ledger;
      clock: Clock;
      userOf(session: IdpSession): string | undefined;
    },
  ) {}

  /** Starts telling the participants of the ended sessions (but the initiator, who is answered last). */
  begin(ended: IdpSession[], initiator?: LogoutInitiator): LogoutNext {
    const now = this.deps.clock.now().getTime();
    for (const [id, flow] of this.flows) if (flow.expiresAt <= now || this.flows.size >= MAX_FLOWS) this.flows.delete(id);
    const queue = ended.flatMap((session) =>
      [...session.participants].filter(([sp]) => sp !== initiator?.sp).map(([sp, nameId]) => ({ sp, nameId, sessionIndex: session.sessionIndex })),
    );
    const flow: Flow = {
      id: samlId(),
      user: ended.map((s) => this.deps.userOf(s)).find(Boolean),
      initiator,
      queue,
      steps: [],
      expiresAt: now + FLOW_TTL_MS,
      finished: false,
    };
    this.flows.set(flow.id, flow);
    return this.advance(flow);
  }

  /** Whether a LogoutResponse with this InResponseTo is awaited. */
  awaits(requestId: string | undefined): boolean {
    return requestId !== undefined && this.byRequest.has(requestId);
  }

  /** A participant answered (or its answer was refused: `ok` false); the next one is told. */
  answered(answer: { inResponseTo?: string; sp?: string; ok: boolean; detail?: string }): LogoutNext {
    const flow = answer.inResponseTo === undefined ? undefined : this.flows.get(this.byRequest.get(answer.inResponseTo) ?? '');
    const step = flow?.steps.find((s) => s.requestId === answer.inResponseTo && s.outcome === 'pending');
    if (!flow || !step || (answer.sp !== undefined && answer.sp !== step.sp))
      throw notFound('logout-not-found', 'No logout is waiting for this LogoutResponse: it answered already, expired, or was never asked.');
    this.byRequest.delete(answer.inResponseTo!);
    step.outcome = answer.ok ? 'logged-out' : 'failed';
    if (answer.detail) step.detail = answer.detail;
    return this.advance(flow);
  }

  view(id: string): LogoutView {
    const flow = this.flows.get(id);
    if (!flow) throw notFound('logout-not-found', `No logout ${id}.`);
    return viewOf(flow);
  }

  clear(): void {
    this.flows.clear();
    this.byRequest.clear();
  }

  private advance(flow: Flow): LogoutNext {
    const { idp, providers, ledger } = this.deps;
    while (flow.queue.length) {
      const next = flow.queue.shift()!;
      const sp = providers.find(next.sp);
      if (!sp?.sloUrl || !next.nameId) {
        flow.steps.push({ sp: next.sp, outcome: 'no-slo-endpoint' });
        continue;
      }
      const id = samlId();
      const xml = buildLogoutRequest({
        id,
        issuer: idp.entityId,
        issueInstant: this.deps.clock.now(),
        destination: sp.sloUrl,
        nameId: next.nameId,
        sessionIndex: next.sessionIndex,
      });
      flow.steps.push({ sp: sp.entityId, outcome: 'pending', requestId: id });
      this.byRequest.set(id, flow.id);
      ledger.record({
        direction: 'sent',
        message: 'LogoutRequest',
        binding: 'redirect',
        sp: sp.entityId,
        user: flow.user,
        id,
        destination: sp.sloUrl,
        relayState: flow.id,
        outcome: 'sent',
        xml,
      });
      const signer = { credential: idp.credential, algorithm: sp.signatureAlgorithm };
      return { kind: 'redirect', location: redirectBindingUrl(sp.sloUrl, 'SAMLRequest', xml, flow.id, signer), logout: viewOf(flow) };
    }
    flow.finished = true;
    return this.answerInitiator(flow);
  }

  /** Everyone was told: the SP that started the logout gets its LogoutResponse (PartialLogout when someone was not logged out). */
  private answerInitiator(flow: Flow): LogoutNext {
    const logout = viewOf(flow);
    const initiator = flow.initiator;
    const sp = initiator && this.deps.providers.find(initiator.sp);
    if (!initiator || !sp?.sloUrl) return { kind: 'finished', logout };
    const id = samlId();
    const xml = buildLogoutResponse({
      id,
      issuer: this.deps.idp.entityId,
      issueInstant: this.deps.clock.now(),
      destination: sp.sloUrl,
      inResponseTo: initiator.requestId,
      statusCode: STATUS.success,
      ...(logout.status === 'partial' ? { subStatusCode: STATUS.partialLogout } : {}),
    });
    const signer = { credential: this.deps.idp.credential, algorithm: sp.signatureAlgorithm };
    const record = (binding: Binding, sent: string) =>
      this.deps.ledger.record({
        direction: 'sent',
        message: 'LogoutResponse',
        binding,
        sp: sp.entityId,
        user: flow.user,
        id,
        inResponseTo: initiator.requestId,
        destination: sp.sloUrl,
        relayState: initiator.relayState,
        outcome: logout.status === 'partial' ? 'partial-logout' : 'sent',
        xml: sent,
      });
    if (initiator.binding === 'redirect') {
      record('redirect', xml);
      return { kind: 'redirect', location: redirectBindingUrl(sp.sloUrl, 'SAMLResponse', xml, initiator.relayState, signer), logout };
    }
    const posted = postBindingValue(xml, id, signer);
    record('post', posted.xml);
    return { kind: 'post', delivery: { acsUrl: sp.sloUrl, samlResponse: posted.value, relayState: initiator.relayState, xml: posted.xml }, logout };
  }
}

function viewOf(flow: Flow): LogoutView {
  const status = !flow.finished ? 'in-progress' : flow.steps.every((s) => s.outcome === 'logged-out') ? 'complete' : 'partial';
  return {
    id: flow.id,
    ...(flow.user ? { user: flow.user } : {}),
    ...(flow.initiator ? { initiator: flow.initiator.sp } : {}),
    status,
    steps: flow.steps.map((s) => ({ ...s })),
  };
}

import { IDP_REASONS } from '../reasons.ts';
import { RehearsalError, type Clock } from '@rehearsal/runtime';
import { badRequest, conflict, forbidden, notFound, unauthorized } from '../reasons.ts';
import type { Directory } from '../directory/directory.ts';
import type { IdpUser } from '../directory/user.ts';
import type { Fault } from '../faults/fault.ts';
import type { FaultRules } from '../faults/fault-rules.ts';
import { faultyResponse, unsealed, type Seal } from '../faults/faulty-response.ts';
import type { SigningCredential } from '@rehearsal/runtime/credentials';
import type { Binding, Ledger, MessageKind } from '../ledger/ledger.ts';
import type { ServiceProviderRegistry } from '../service-providers/registry.ts';
import type { ServiceProvider } from '../service-providers/service-provider.ts';
import { readAuthnRequest, type AuthnRequest } from './authn-request.ts';
import { decodePostMessage, decodeRedirectMessage, verifyEmbeddedSignature, verifyRedirectSignature } from './binding.ts';
import { encryptAssertion } from './encryption.ts';
import { dropExpired, IdpSessions, type IdpSession } from './idp-sessions.ts';
import { samlId } from './random-ids.ts';
import { errorResponseSpec, loginResponseSpec, signingFor, signResponse, type IdpIdentity } from './login-response.ts';
import { nameIdFormatFor, unsupportedNameIdFormat } from './name-id.ts';
import { readLogoutRequest, readLogoutResponse, type LogoutResponse } from './logout.ts';
import { SingleLogout, type LogoutNext } from './single-logout.ts';
import { STATUS } from './response.ts';
import { SavedMap } from '../state/saved-map.ts';
import type { StateChanges, StatePort } from '../state/state-file.ts';

/** A login the IdP answers: where the browser posts, what, and the RelayState to return. */
export interface SamlDelivery {
  acsUrl: string;
  samlResponse: string;
  relayState?: string;
  /** The response XML, for the ledger and for people debugging. */
  xml: string;
}

/** An SP-initiated login waiting at the login page. */
export interface PendingLogin {
  id: string;
  sp: ServiceProvider;
  request?: AuthnRequest;
  acsUrl: string;
  relayState?: string;
  expiresAt: number;
}

export type { IdpSession } from './idp-sessions.ts';

export type IncomingMessage =
  { binding: 'redirect'; samlRequest: string; relayState?: string; rawQuery: string } | { binding: 'post'; samlRequest: string; relayState?: string };

/** RelayState is opaque to the IdP, but bounded: SAML bindings allow 80 bytes; we allow more, not unlimited. */
const MAX_RELAY_STATE = 2048;
/** A login page left open this long must be started again from the SP. */
export const PENDING_LOGIN_TTL_MS = 15 * 60_000;
/** Bounds the memory an SP sending AuthnRequests in a loop can take. */
const MAX_PENDING_LOGINS = 10_000;
/** How long the IdP session lasts: a working day, like most IdPs' defaults. */
export interface SsoDependencies {
  idp: IdpIdentity;
  directory: Directory;
  providers: ServiceProviderRegistry;
  faults: FaultRules;
  ledger: Ledger;
  /** The key the wrong-key fault signs with; made on first use (RSA key generation is slow). */
  faultKey: () => Promise<SigningCredential>;
  /** Where the replicas of the IdP share their sessions and pending logins; each process's own when absent. */
  shared?: StatePort;
}

type SavedPendingLogin = Omit<PendingLogin, 'sp'> & { sp: string };

/**
 * Single sign-on and single logout: reads AuthnRequests and LogoutRequests,
 * keeps IdP sessions so that a second SP's login is silent, issues signed
 * responses to registered ACS URLs only (with any faults a test asked for),
 * and writes every message to the ledger.
 */
export class SsoService {
  private readonly pending: Map<string, PendingLogin>;
  readonly sessions: IdpSessions;
  /** The last response each user was sent at each SP, for the replay fault. */
  private readonly lastResponses = new Map<string, { id: string; xml: string }>();
  private readonly idp: IdpIdentity;
  private readonly directory: Directory;

  readonly singleLogout: SingleLogout;

  constructor(private readonly deps: SsoDependencies) {
    this.idp = deps.idp;
    this.directory = deps.directory;
    this.sessions = new IdpSessions(deps.idp.clock, deps.directory, deps.shared);
    this.pending = deps.shared
      ? new SavedMap<PendingLogin>(
          deps.shared,
          'sso:pending:',
          (login): SavedPendingLogin => ({ ...login, sp: login.sp.entityId }),
          (saved) => {
            const login = saved as SavedPendingLogin;
            const sp = deps.providers.find(login.sp);
            return sp && { ...login, sp };
          },
        ).restore()
      : new Map<string, PendingLogin>();
    this.singleLogout = new SingleLogout({
      idp: deps.idp,
      providers: deps.providers,
      ledger: deps.ledger,
      clock: deps.idp.clock,
      userOf: (session) => deps.directory.findUser(session.userId)?.email,
    });
  }

  get clock(): Clock {
    return this.idp.clock;
  }

  /** Takes up the sessions and pending logins another replica changed. */
  refresh(changes: StateChanges): void {
    if (this.pending instanceof SavedMap) this.pending.refresh(changes);
    this.sessions.refresh(changes);
  }

  reset(): void {
    this.pending.clear();
    this.sessions.clear();
    this.singleLogout.clear();
    this.lastResponses.clear();
  }

  /** Decodes and checks an AuthnRequest, and resolves the SP and ACS URL it may use. */
  receive(incoming: IncomingMessage): PendingLogin {
    if (incoming.relayState && incoming.relayState.length > MAX_RELAY_STATE)
      throw badRequest('relay-state-too-long', `RelayState is longer than ${MAX_RELAY_STATE} characters.`);
    const {
      message: request,
      sp,
      checked: acsUrl,
    } = this.receiveMessage(incoming, 'AuthnRequest', readAuthnRequest, (request, sp) => this.acsFor(sp, request));
    return this.addPending({ id: samlId(), sp, request, acsUrl, relayState: incoming.relayState, expiresAt: 0 });
  }

  /** IdP-initiated: no request, the SP's default ACS. */
  unsolicited(spEntityId: string, relayState?: string): PendingLogin {
    const sp = this.deps.providers.get(spEntityId);
    if (!sp.allowIdpInitiated) throw forbidden('idp-initiated-disabled', `${sp.entityId} does not accept IdP-initiated logins.`);
    return this.addPending({ id: samlId(), sp, acsUrl: sp.acsUrls[0]!, relayState, expiresAt: 0 });
  }

  pendingLogin(id: string): PendingLogin {
    const login = this.pending.get(id);
    if (!login) throw notFound('login-not-found', 'This login was already completed or never existed: start again from the service provider.');
    if (login.expiresAt <= this.clock.now().getTime()) {
      this.pending.delete(id);
      throw IDP_REASONS.error('login-expired', 'This login page was open too long: start again from the service provider.', { status: 410 });
    }
    return login;
  }

  /** Whether a pending login can complete without the login page. */
  async silentAnswer(login: PendingLogin, session: IdpSession | undefined): Promise<SamlDelivery | undefined> {
    if (session && !login.request?.forceAuthn) return this.complete(login.id, session);
    if (login.request?.isPassive) {
      this.pending.delete(login.id);
      const spec = errorResponseSpec(
        this.idp,
        login.acsUrl,
        login.request.id,
        STATUS.responder,
        STATUS.noPassive,
        'No IdP session, and IsPassive forbids asking the user.',
      );
      return this.deliver(login, signResponse(this.idp, login.sp, spec), { id: spec.id });
    }
    return undefined;
  }

  /** Checks a typed username and password. */
  authenticate(username: string, password: string): IdpUser {
    const user = this.directory.findUser(username);
    if (!user || user.password === undefined || user.password !== password) throw unauthorized('invalid-credentials', 'Wrong username or password.');
    if (!user.active) throw forbidden('user-inactive', `${user.email} is deactivated in the IdP directory.`);
    return user;
  }

  /** Answers a pending login for the session's user, with the faults asked for and those of matching rules. */
  async complete(loginId: string, session: IdpSession, requested: Fault[] = []): Promise<SamlDelivery> {
    const login = this.pendingLogin(loginId);
    const { sp } = login;
    const user = this.directory.getUser(session.userId);
    if (!nameIdFormatFor(sp, login.request?.nameIdFormat)) {
      // SAML core §3.4.1.1: a NameIDPolicy the IdP cannot satisfy is answered with a status, at the ACS.
      this.pending.delete(loginId);
      const message = unsupportedNameIdFormat(sp, login.request!.nameIdFormat!);
      const error = errorResponseSpec(this.idp, login.acsUrl, login.request!.id, STATUS.requester, STATUS.invalidNameIdPolicy, message);
      return this.deliver(login, signResponse(this.idp, sp, error), { id: error.id, user: user.email });
    }
    const spec = loginResponseSpec(this.idp, {
      sp,
      user,
      acsUrl: login.acsUrl,
      inResponseTo: login.request?.id,
      requestedNameIdFormat: login.request?.nameIdFormat,
      authnInstant: session.authnInstant,
      sessionIndex: session.sessionIndex,
      mfa: session.mfa,
    });
    const faults = this.deps.faults.take(sp.entityId, user.id, requested);
    const replayKey = `${sp.entityId}\n${user.id}`;
    let sent: { id: string; xml: string };
    if (faults.some((f) => f.fault === 'replay')) {
      const previous = this.lastResponses.get(replayKey);
      if (!previous) throw conflict('nothing-to-replay', `${user.email} has not been sent a response for ${sp.entityId} yet: there is nothing to replay.`);
      sent = previous;
    } else {
      const xml = await faultyResponse(spec, signingFor(this.idp, sp, true), faults, {
        subject: user,
        otherKey: faults.some((f) => f.fault === 'wrong-key') ? await this.deps.faultKey() : this.idp.credential,
        seal: this.sealFor(sp),
      });
      sent = { id: spec.id, xml };
      this.lastResponses.set(replayKey, sent);
    }
    this.pending.delete(loginId);
    session.participants.set(sp.entityId, spec.assertion?.nameId);
    this.sessions.keep(session);
    return this.deliver(login, sent.xml, { id: sent.id, user: user.email, faults });
  }

  /**
   * SP-initiated single logout: ends the IdP session the request names (by
   * SessionIndex, else by NameID) and the browser's own, tells the sessions'
   * other participants in turn, then answers the SP on its binding.
   */
  logout(incoming: IncomingMessage, browserSessionId: string | undefined): LogoutNext {
    const { message: request, sp } = this.receiveMessage(incoming, 'LogoutRequest', readLogoutRequest, (_request, sp) => {
      if (!sp.sloUrl)
        throw badRequest('slo-url-missing', `${sp.entityId} has no SLO URL registered, so the IdP cannot answer its LogoutRequest: register sloUrl.`);
    });
    const ended = this.sessions.endFor(request, sp.entityId, browserSessionId);
    return this.singleLogout.begin(ended, { sp: sp.entityId, requestId: request.id, relayState: incoming.relayState, binding: incoming.binding });
  }

  /** IdP-initiated single logout: ends the sessions that match and tells every participant in turn. */
  idpLogout(match: (session: IdpSession) => boolean): LogoutNext {
    const ended = this.sessions.endWhere(match);
    if (!ended.length) throw notFound('session-not-found', 'No live IdP session matches: nobody to log out.');
    return this.singleLogout.begin(ended);
  }

  /**
   * A participant's LogoutResponse (`samlRequest` carries the SAMLResponse).
   * One that does not verify still closes that participant's step, as failed,
   * so that the others are told and the logout is reported partial.
   */
  logoutAnswered(incoming: IncomingMessage): LogoutNext {
    let answer: { response: LogoutResponse; sp: ServiceProvider };
    try {
      const { message, sp } = this.receiveMessage(incoming, 'LogoutResponse', readLogoutResponse, () => undefined);
      answer = { response: message, sp };
    } catch (err) {
      const inResponseTo = peekInResponseTo(incoming);
      if (!(err instanceof RehearsalError) || !this.singleLogout.awaits(inResponseTo)) throw err;
      return this.singleLogout.answered({ inResponseTo, ok: false, detail: err.code });
    }
    const { response, sp } = answer;
    const ok = response.status === STATUS.success;
    return this.singleLogout.answered({ inResponseTo: response.inResponseTo, sp: sp.entityId, ok, ...(ok ? {} : { detail: response.status }) });
  }

  /**
   * Decodes a request from an SP, finds the SP, checks its signature as the SP
   * is registered (a signature present is always checked; one absent is refused
   * when the SP signs), runs `check`, and writes the outcome to the ledger.
   */
  private receiveMessage<T extends { id: string; issuer: string; signed: boolean; xml: string }, R>(
    incoming: IncomingMessage,
    kind: MessageKind,
    read: (xml: string) => T,
    check: (message: T, sp: ServiceProvider) => R,
  ): { message: T; sp: ServiceProvider; checked: R } {
    let xml: string | undefined;
    let message: T | undefined;
    let sp: ServiceProvider | undefined;
    const binding: Binding = incoming.binding;
    try {
      xml = incoming.binding === 'redirect' ? decodeRedirectMessage(incoming.samlRequest) : decodePostMessage(incoming.samlRequest);
      message = read(xml);
      sp = this.deps.providers.find(message.issuer);
      if (!sp) throw forbidden('sp-not-registered', `The ${kind} comes from ${message.issuer}, which is not a registered service provider.`);
      const signedByQuery = incoming.binding === 'redirect' && /(^|&)Signature=/.test(incoming.rawQuery);
      const invalid = forbidden('request-signature-invalid', `The ${kind}'s signature does not verify with ${sp.entityId}'s certificate.`);
      if (signedByQuery && !verifyRedirectSignature(incoming.rawQuery, sp, kind)) throw invalid;
      if (incoming.binding === 'post' && message.signed && !verifyEmbeddedSignature(message, sp, kind)) throw invalid;
      if (sp.wantAuthnRequestsSigned && !signedByQuery && !(incoming.binding === 'post' && message.signed))
        throw forbidden('request-unsigned', `${sp.entityId} is registered as signing its requests, and this ${kind} is not signed.`);
      const checked = check(message, sp);
      this.deps.ledger.record({
        direction: 'received',
        message: kind,
        binding,
        sp: sp.entityId,
        id: message.id,
        relayState: incoming.relayState,
        outcome: 'accepted',
        xml,
      });
      return { message, sp, checked };
    } catch (err) {
      const code = err instanceof RehearsalError ? err.code : 'internal-error';
      this.deps.ledger.record({
        direction: 'received',
        message: kind,
        binding,
        sp: sp?.entityId ?? message?.issuer,
        id: message?.id,
        relayState: incoming.relayState,
        outcome: code,
        xml,
      });
      throw err;
    }
  }

  private addPending(login: PendingLogin): PendingLogin {
    const now = this.clock.now().getTime();
    dropExpired(this.pending, now);
    while (this.pending.size >= MAX_PENDING_LOGINS) this.pending.delete(this.pending.keys().next().value!);
    login.expiresAt = now + PENDING_LOGIN_TTL_MS;
    this.pending.set(login.id, login);
    return login;
  }

  private sealFor(sp: ServiceProvider): Seal {
    const target = sp.encryption;
    return target ? (assertion) => encryptAssertion(assertion, target) : unsealed;
  }

  private deliver(login: PendingLogin, xml: string, about: { id: string; user?: string; faults?: Fault[] }): SamlDelivery {
    this.deps.ledger.record({
      direction: 'sent',
      message: 'Response',
      binding: 'post',
      sp: login.sp.entityId,
      user: about.user,
      id: about.id,
      inResponseTo: login.request?.id,
      destination: login.acsUrl,
      relayState: login.relayState,
      faults: about.faults,
      outcome: 'sent',
      xml,
    });
    return { acsUrl: login.acsUrl, samlResponse: Buffer.from(xml).toString('base64'), relayState: login.relayState, xml };
  }

  /** The requested ACS when it is registered (by URL or index), else the SP's default. Never an unregistered one. */
  private acsFor(sp: ServiceProvider, request: AuthnRequest): string {
    if (request.acsUrl !== undefined) {
      if (!sp.acsUrls.includes(request.acsUrl))
        throw forbidden('acs-not-registered', `${request.acsUrl} is not a registered ACS URL of ${sp.entityId}: register it first.`);
      return request.acsUrl;
    }
    if (request.acsIndex !== undefined) {
      const url = sp.acsUrls[request.acsIndex];
      if (!url) throw forbidden('acs-not-registered', `${sp.entityId} has no ACS URL at index ${request.acsIndex}.`);
      return url;
    }
    return sp.acsUrls[0]!;
  }
}

/** The InResponseTo of a LogoutResponse that did not verify, to close its step; undefined when it cannot even be read. */
function peekInResponseTo(incoming: IncomingMessage): string | undefined {
  try {
    const xml =
      incoming.binding === 'redirect' ? decodeRedirectMessage(incoming.samlRequest, 'SAMLResponse') : decodePostMessage(incoming.samlRequest, 'SAMLResponse');
    return readLogoutResponse(xml).inResponseTo;
  } catch {
    return undefined;
  }
}

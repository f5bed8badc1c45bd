import { randomBytes } from 'node:crypto';
import { badRequest, forbidden, notFound, unauthorized, type Clock } from '@rehearsal/core/runtime';
import type { Directory } from '../directory/directory.ts';
import type { IdpUser } from '../directory/user.ts';
import type { ServiceProviderRegistry } from '../service-providers/registry.ts';
import type { ServiceProvider } from '../service-providers/service-provider.ts';
import { decodePostMessage, decodeRedirectMessage, readAuthnRequest, verifyEmbeddedSignature, verifyRedirectSignature, type AuthnRequest } from './authn-request.ts';
import { errorResponseSpec, loginResponseSpec, samlId, signResponse, type IdpIdentity } from './login-response.ts';
import { STATUS } from './response.ts';

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
}

export interface IdpSession {
  id: string;
  userId: string;
  authnInstant: Date;
  sessionIndex: string;
  mfa: boolean;
}

export type IncomingRequest =
  | { binding: 'redirect'; samlRequest: string; relayState?: string; rawQuery: string }
  | { binding: 'post'; samlRequest: string; relayState?: string };

/** RelayState is opaque to the IdP, but bounded: SAML bindings allow 80 bytes; we allow more, not unlimited. */
const MAX_RELAY_STATE = 2048;

/**
 * Single sign-on: reads AuthnRequests, keeps IdP sessions so that a second SP's
 * login is silent, and issues signed responses to registered ACS URLs only.
 */
export class SsoService {
  private readonly pending = new Map<string, PendingLogin>();
  private readonly sessions = new Map<string, IdpSession>();

  constructor(
    private readonly idp: IdpIdentity,
    private readonly directory: Directory,
    private readonly providers: ServiceProviderRegistry,
  ) {}

  get clock(): Clock {
    return this.idp.clock;
  }

  reset(): void {
    this.pending.clear();
    this.sessions.clear();
  }

  /** Decodes and checks an AuthnRequest, and resolves the SP and ACS URL it may use. */
  receive(incoming: IncomingRequest): PendingLogin {
    if (incoming.relayState && incoming.relayState.length > MAX_RELAY_STATE) throw badRequest('relay-state-too-long', `RelayState is longer than ${MAX_RELAY_STATE} characters.`);
    const xml = incoming.binding === 'redirect' ? decodeRedirectMessage(incoming.samlRequest) : decodePostMessage(incoming.samlRequest);
    const request = readAuthnRequest(xml);
    const sp = this.providers.find(request.issuer);
    if (!sp) throw forbidden('sp-not-registered', `The AuthnRequest comes from ${request.issuer}, which is not a registered service provider.`);
    const signedByQuery = incoming.binding === 'redirect' && /(^|&)Signature=/.test(incoming.rawQuery);
    if (signedByQuery && !verifyRedirectSignature(incoming.rawQuery, sp)) throw forbidden('authn-request-signature-invalid', `The AuthnRequest's signature does not verify with ${sp.entityId}'s certificate.`);
    if (incoming.binding === 'post' && request.signed && !verifyEmbeddedSignature(request, sp)) throw forbidden('authn-request-signature-invalid', `The AuthnRequest's signature does not verify with ${sp.entityId}'s certificate.`);
    if (sp.wantAuthnRequestsSigned && !signedByQuery && !(incoming.binding === 'post' && request.signed)) throw forbidden('authn-request-unsigned', `${sp.entityId} is registered as signing its AuthnRequests, and this one is not signed.`);
    const login: PendingLogin = { id: samlId(), sp, request, acsUrl: this.acsFor(sp, request), relayState: incoming.relayState };
    this.pending.set(login.id, login);
    return login;
  }

  /** IdP-initiated: no request, the SP's default ACS. */
  unsolicited(spEntityId: string, relayState?: string): PendingLogin {
    const sp = this.providers.get(spEntityId);
    if (!sp.allowIdpInitiated) throw forbidden('idp-initiated-disabled', `${sp.entityId} does not accept IdP-initiated logins.`);
    const login: PendingLogin = { id: samlId(), sp, acsUrl: sp.acsUrls[0]!, relayState };
    this.pending.set(login.id, login);
    return login;
  }

  pendingLogin(id: string): PendingLogin {
    const login = this.pending.get(id);
    if (!login) throw notFound('login-not-found', 'This login has expired or was already completed: start again from the service provider.');
    return login;
  }

  session(id: string | undefined): IdpSession | undefined {
    const session = id ? this.sessions.get(id) : undefined;
    return session && this.directory.findUser(session.userId)?.active ? session : undefined;
  }

  /** Whether a pending login can complete without the login page. */
  silentAnswer(login: PendingLogin, session: IdpSession | undefined): SamlDelivery | undefined {
    if (session && !login.request?.forceAuthn) return this.complete(login.id, session);
    if (login.request?.isPassive) {
      this.pending.delete(login.id);
      const spec = errorResponseSpec(this.idp, login.acsUrl, login.request.id, STATUS.responder, STATUS.noPassive, 'No IdP session, and IsPassive forbids asking the user.');
      return this.deliver(login, signResponse(this.idp, login.sp, spec));
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

  startSession(user: IdpUser, mfa: boolean): IdpSession {
    if (!user.active) throw forbidden('user-inactive', `${user.email} is deactivated in the IdP directory.`);
    const session: IdpSession = { id: randomBytes(24).toString('base64url'), userId: user.id, authnInstant: this.clock.now(), sessionIndex: samlId(), mfa };
    this.sessions.set(session.id, session);
    return session;
  }

  endSession(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** Answers a pending login for the session's user. */
  complete(loginId: string, session: IdpSession): SamlDelivery {
    const login = this.pendingLogin(loginId);
    const user = this.directory.getUser(session.userId);
    const spec = loginResponseSpec(this.idp, {
      sp: login.sp,
      user,
      acsUrl: login.acsUrl,
      inResponseTo: login.request?.id,
      requestedNameIdFormat: login.request?.nameIdFormat,
      authnInstant: session.authnInstant,
      sessionIndex: session.sessionIndex,
      mfa: session.mfa,
    });
    this.pending.delete(loginId);
    return this.deliver(login, signResponse(this.idp, login.sp, spec));
  }

  private deliver(login: PendingLogin, xml: string): SamlDelivery {
    return { acsUrl: login.acsUrl, samlResponse: Buffer.from(xml).toString('base64'), relayState: login.relayState, xml };
  }

  /** The requested ACS when it is registered (by URL or index), else the SP's default. Never an unregistered one. */
  private acsFor(sp: ServiceProvider, request: AuthnRequest): string {
    if (request.acsUrl !== undefined) {
      if (!sp.acsUrls.includes(request.acsUrl)) throw forbidden('acs-not-registered', `${request.acsUrl} is not a registered ACS URL of ${sp.entityId}: register it first.`);
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

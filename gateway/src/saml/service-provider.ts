import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import passport from 'passport';
import { SAML } from '@node-saml/node-saml';
import { MultiSamlStrategy, type Profile, type SamlConfig } from '@node-saml/passport-saml';
import type { Clock, ExpiringStore, SharedState } from '@rehearsal/runtime';
import { certify } from '@rehearsal/runtime/credentials';
import type { Connection } from '@rehearsal/core/client';
import { bindBrowser } from './browser-binding.ts';
import { spMetadata } from './sp-metadata.ts';
import { checkLogoutResponse, type LogoutDelivery, type LogoutEnvelope } from './logout-messages.ts';
import { SamlRejection } from './response-checks.ts';

/** What passport-saml read from a response whose signature held. */
export type SamlProfile = Record<string, unknown> & { nameID?: string; sessionIndex?: string; attributes?: Record<string, unknown> };

/**
 * The gateway's SAML service provider, one per connection, on passport-saml.
 * The library builds and signs AuthnRequests, checks signatures against the
 * connection's certificate, the Audience and the Issuer, and reads the profile
 * only from signed content; response-checks.ts adds what it leaves out, and
 * time is checked there on the injected clock (so the library's own clock
 * check is off). It holds the protocol's state in the shared state (memory, or
 * Redis for several replicas): outstanding AuthnRequests (and the connection
 * and browser each went to, so the ACS needs no second look-up) and the
 * assertion replay cache.
 */
export class SamlServiceProvider {
  /**
   * Outstanding requests (AuthnRequests, and LogoutRequests the gateway sent):
   * node-saml's InResponseTo cache, and for an AuthnRequest the connection it
   * went through (as core described it then) and the browser it was sent from.
   */
  private readonly requests: ExpiringStore<OutstandingRequest>;
  /** Assertion IDs seen, until their NotOnOrAfter (the replay cache: `add` is false for one seen already, on any replica). */
  readonly seenAssertions: ExpiringStore<string>;
  /** What an AuthnRequest being built was sent for, until node-saml saves its ID (within the same request). */
  private readonly minted = new Map<string, SentRequest>();
  /**
   * node-saml's view of the outstanding requests: it reads them, and never
   * removes one. It would remove the ID when a response fails, so anyone who
   * saw a request ID in the redirect could spoil the genuine answer with a bad
   * response; the ACS removes an ID once a response for it is accepted.
   */
  private readonly libraryCache: NonNullable<SamlConfig['cacheProvider']>;
  private readonly privateKeyPem: string;
  private certificate: Promise<string> | undefined;
  private readonly passport: passport.PassportStatic;

  constructor(
    private readonly clock: Clock,
    state: SharedState,
    keys: { privateKeyPem?: string; certificatePem?: string },
    /** Whether the gateway is served over https (its cookies are then Secure). */
    private readonly secure = false,
  ) {
    this.requests = state.store('sp-requests', MAX_OUTSTANDING);
    this.seenAssertions = state.store('sp-assertions', MAX_OUTSTANDING);
    this.libraryCache = {
      // node-saml saves a request's ID before the browser is sent on: the connection and browser go with it, in one write.
      saveAsync: async (key, value) => {
        const sent = this.minted.get(key);
        this.minted.delete(key);
        const createdAt = this.clock.now().getTime();
        await this.requests.set(key, { instant: value, ...(sent ? { sent } : {}) }, createdAt + REQUEST_TTL_MS);
        return { value, createdAt };
      },
      getAsync: async (key) => (await this.requests.get(key))?.instant ?? null,
      removeAsync: () => Promise.resolve(null),
    };
    this.privateKeyPem =
      keys.privateKeyPem ?? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.certificate = keys.certificatePem === undefined ? undefined : Promise.resolve(keys.certificatePem);
    this.passport = this.strategy();
  }

  /** Sends the browser to the IdP with an AuthnRequest (Redirect binding) carrying RelayState, bound to this browser (browser-binding.ts). */
  async sendAuthnRequest(req: Request, res: Response, connection: Connection, relayState: string): Promise<void> {
    (req as SamlRequest).samlConnection = connection;
    (req as SamlRequest).samlBrowser = bindBrowser(req, res, this.secure);
    // passport-saml reads RelayState from the query or the body.
    req.body = { ...((req.body as Record<string, unknown> | undefined) ?? {}), RelayState: relayState };
    const { err } = await this.run(req, res);
    if (err) throw err instanceof Error ? err : new Error('passport-saml could not send the AuthnRequest', { cause: err });
  }

  /** An outstanding AuthnRequest (its connection and browser), if a gateway of this stack sent it and it has not expired. */
  async sentRequest(requestId: string | undefined): Promise<SentRequest | undefined> {
    return requestId === undefined ? undefined : (await this.requests.get(requestId))?.sent;
  }

  /** Whether a request is outstanding. */
  async outstanding(requestId: string): Promise<boolean> {
    return (await this.requests.get(requestId)) !== undefined;
  }

  /** Marks a request answered by an accepted response; false when another response (to any replica) took it first. */
  async answered(requestId: string): Promise<boolean> {
    return (await this.requests.take(requestId)) !== undefined;
  }

  /** Validates the posted response's signature, Audience and Issuer with passport-saml; the profile, or the library's error. */
  async validate(req: Request, res: Response, connection: Connection): Promise<{ err: unknown; profile: SamlProfile | undefined }> {
    (req as SamlRequest).samlConnection = connection;
    const { err, user } = await this.run(req, res);
    return { err, profile: user || undefined };
  }

  /** SP metadata of a connection: its URLs, single logout on both bindings, and the certificate IdPs verify the gateway's signatures with. */
  async metadata(connection: Pick<Connection, 'spEntityId' | 'acsUrl' | 'signAuthnRequests' | 'wantAssertionsSigned'>): Promise<string> {
    return spMetadata({
      entityId: connection.spEntityId,
      acsUrl: connection.acsUrl,
      sloUrl: sloCallbackUrl(connection),
      signingCertificate: (await this.certificatePem()).replace(/-----[^-]+-----|\s+/g, ''),
      authnRequestsSigned: connection.signAuthnRequests,
      wantAssertionsSigned: connection.wantAssertionsSigned,
    });
  }

  /** A LogoutRequest for a session started through `connection`, as a Redirect URL. */
  logoutUrl(connection: Connection, session: { email: string; sessionIndex?: string }, relayState: string): Promise<string> {
    return new SAML(this.options(connection)).getLogoutUrlAsync(
      { nameID: session.email, nameIDFormat: EMAIL_FORMAT, ...(session.sessionIndex ? { sessionIndex: session.sessionIndex } : {}) } as never,
      relayState,
      {},
    );
  }

  /**
   * Checks an IdP's LogoutRequest (read by readLogoutMessage): its signature by
   * the connection's certificate, its Issuer and Destination; what it names.
   */
  async verifyLogoutRequest(connection: Connection, delivery: LogoutDelivery, envelope: LogoutEnvelope): Promise<{ nameId: string; sessionIndexes: string[] }> {
    if (envelope.destination !== undefined && envelope.destination !== sloCallbackUrl(connection))
      throw new SamlRejection('slo-request-invalid', `The LogoutRequest is for ${envelope.destination}, not ${sloCallbackUrl(connection)}.`);
    const saml = new SAML(this.options(connection));
    try {
      if (delivery.binding === 'redirect') await saml.validateRedirectAsync(delivery.query, delivery.rawQuery);
      else await saml.validatePostRequestAsync({ SAMLRequest: delivery.fields.SAMLRequest! });
    } catch (err) {
      throw new SamlRejection('slo-request-invalid', `The IdP's LogoutRequest was refused: ${(err as Error).message}.`);
    }
    if (!envelope.nameId) throw new SamlRejection('slo-request-invalid', 'The LogoutRequest names nobody (no NameID).');
    return { nameId: envelope.nameId, sessionIndexes: envelope.sessionIndexes };
  }

  /**
   * Checks the IdP's LogoutResponse to a LogoutRequest this gateway sent: status,
   * Issuer, Destination, signature; the request is answered once.
   */
  async verifyLogoutResponse(connection: Connection, delivery: LogoutDelivery, envelope: LogoutEnvelope): Promise<void> {
    checkLogoutResponse(envelope, { issuer: connection.idpEntityId, destination: sloCallbackUrl(connection) });
    const answers = envelope.inResponseTo;
    if (answers === undefined || !(await this.outstanding(answers)))
      throw new SamlRejection('slo-response-invalid', 'The LogoutResponse answers no logout this gateway is waiting for.');
    // InResponseTo is checked above: node-saml looks for it on a Response element only, which a LogoutResponse is not.
    const saml = new SAML({ ...this.options(connection), validateInResponseTo: 'never' as SamlConfig['validateInResponseTo'] });
    try {
      if (delivery.binding === 'redirect') await saml.validateRedirectAsync(delivery.query, delivery.rawQuery);
      else await saml.validatePostResponseAsync({ SAMLResponse: delivery.fields.SAMLResponse! });
    } catch (err) {
      throw new SamlRejection('slo-response-invalid', `The IdP's LogoutResponse was refused: ${(err as Error).message}.`);
    }
    await this.answered(answers);
  }

  /** The LogoutResponse to an IdP's LogoutRequest, as a Redirect URL to the IdP's SLO URL (signed when the connection signs). */
  logoutResponseUrl(connection: Connection, requestId: string, relayState: string | undefined, success: boolean): Promise<string> {
    return new SAML(this.options(connection)).getLogoutResponseUrlAsync({ ID: requestId } as never, relayState ?? '', {}, success);
  }

  async clear(): Promise<void> {
    this.minted.clear();
    await Promise.all([this.requests.clear(), this.seenAssertions.clear()]);
  }

  private certificatePem(): Promise<string> {
    return (this.certificate ??= certify(this.privateKeyPem, 'Rehearsal gateway', this.clock.now()).then((c) => c.certificatePem));
  }

  /** Runs passport-saml for a resolved connection; resolves with its outcome instead of calling next(). */
  private run(req: Request, res: Response) {
    return new Promise<{ err: unknown; user: SamlProfile | false | undefined }>((resolve) => {
      const handler = this.passport.authenticate('saml', { session: false }, (err: unknown, user: SamlProfile | false | undefined) =>
        resolve({ err, user }),
      ) as RequestHandler;
      handler(req, res, (err?: unknown) => resolve({ err, user: undefined }));
      // A redirect (the AuthnRequest sent) ends the answer without calling back.
      res.once('finish', () => resolve({ err: undefined, user: undefined }));
    });
  }

  private options(connection: Connection, newRequestId: () => string = newId): SamlConfig {
    return {
      callbackUrl: connection.acsUrl,
      entryPoint: connection.ssoUrl,
      ...(connection.sloUrl ? { logoutUrl: connection.sloUrl, logoutCallbackUrl: sloCallbackUrl(connection) } : {}),
      issuer: connection.spEntityId,
      audience: connection.spEntityId,
      idpCert: connection.certificate,
      idpIssuer: connection.idpEntityId,
      // The assertion signed itself unless the connection also takes a signed Response around it; response-checks.ts says which.
      wantAssertionsSigned: connection.wantAssertionsSigned,
      wantAuthnResponseSigned: false,
      acceptedClockSkewMs: -1,
      validateInResponseTo: (connection.allowIdpInitiated ? 'ifPresent' : 'always') as SamlConfig['validateInResponseTo'],
      cacheProvider: this.libraryCache,
      generateUniqueId: newRequestId,
      identifierFormat: EMAIL_FORMAT,
      disableRequestedAuthnContext: true,
      signatureAlgorithm: 'sha256',
      ...(connection.signAuthnRequests ? { privateKey: this.privateKeyPem } : {}),
    };
  }

  /** The strategy, on a passport instance of the gateway's own; an AuthnRequest's ID is remembered with its connection and browser. */
  private strategy(): passport.PassportStatic {
    const instance = new passport.Passport() as unknown as passport.PassportStatic;
    const remembering = (request: SentRequest) => () => {
      const id = newId();
      // Requests node-saml never saved (it failed before) must not pile up.
      if (this.minted.size >= 1000) this.minted.clear();
      this.minted.set(id, request);
      return id;
    };
    const verified = (_req: Request, profile: Profile | null, done: (err: Error | null, user?: Record<string, unknown>) => void) =>
      done(null, profile ?? undefined);
    // passport-saml carries its own copy of express's typings (express 4); the runtime objects are the same.
    instance.use(
      'saml',
      new (MultiSamlStrategy as unknown as new (...args: unknown[]) => passport.Strategy)(
        {
          passReqToCallback: true,
          getSamlOptions: (req: Request, done: (err: Error | null, options?: SamlConfig) => void) => {
            const { samlConnection: connection, samlBrowser: browser } = req as unknown as SamlRequest;
            if (!connection) return done(new Error('no SAML connection resolved for this request'));
            done(null, this.options(connection, browser === undefined ? newId : remembering({ connection, browser })));
          },
        },
        verified,
        verified,
      ),
    );
    return instance;
  }
}

const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const newId = () => `_${randomBytes(20).toString('hex')}`;

/** Where the IdP answers a LogoutRequest: beside the ACS, same connection parameter. */
export const sloCallbackUrl = (connection: Pick<Connection, 'acsUrl'>) => connection.acsUrl.replace('/login/callback', '/logout/callback');

interface SamlRequest extends Request {
  samlConnection?: Connection;
  samlBrowser?: string;
}

/** How long an AuthnRequest may wait for its answer. */
export const REQUEST_TTL_MS = 10 * 60_000;
/** Bounds memory under a flood of login attempts (in memory; Redis bounds by TTL). */
const MAX_OUTSTANDING = 100_000;

interface OutstandingRequest {
  /** What node-saml saved: the request's issue instant. */
  instant: string;
  sent?: SentRequest;
}

export interface SentRequest {
  connection: Connection;
  /** The browser binding the request was sent with (browser-binding.ts). */
  browser: string;
}

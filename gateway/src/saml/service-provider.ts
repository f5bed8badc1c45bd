import type { Request } from 'express';
import passport from 'passport';
import { MultiSamlStrategy, type Profile, type SamlConfig } from '@node-saml/passport-saml';
import type { Connection } from '@rehearsal/core/client';
import type { ExpiringKeys } from './request-store.ts';

/**
 * The SAML service provider, one per connection, on passport-saml. The library
 * builds and signs AuthnRequests, checks signatures against the connection's
 * certificate, the Audience and the Issuer, and reads the profile only from
 * signed content; response-checks.ts adds what it leaves out, and time is
 * checked there on the injected clock (so the library's own clock check is off).
 */
export function samlOptions(connection: Connection, requests: ExpiringKeys, spPrivateKey: string, newRequestId: () => string): SamlConfig {
  return {
    callbackUrl: connection.acsUrl,
    entryPoint: connection.ssoUrl,
    ...(connection.sloUrl ? { logoutUrl: connection.sloUrl, logoutCallbackUrl: sloCallbackUrl(connection) } : {}),
    issuer: connection.spEntityId,
    audience: connection.spEntityId,
    idpCert: connection.certificate,
    idpIssuer: connection.idpEntityId,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: -1,
    validateInResponseTo: (connection.allowIdpInitiated ? 'ifPresent' : 'always') as SamlConfig['validateInResponseTo'],
    cacheProvider: requests,
    generateUniqueId: newRequestId,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    disableRequestedAuthnContext: true,
    signatureAlgorithm: 'sha256',
    ...(connection.signAuthnRequests ? { privateKey: spPrivateKey } : {}),
  };
}

/** Where the IdP answers a LogoutRequest: beside the ACS, same connection parameter. */
export const sloCallbackUrl = (connection: Connection) => connection.acsUrl.replace('/login/callback', '/logout/callback');

export interface SamlRequest extends Request {
  samlConnection?: Connection;
}

/** Registers the strategy on a passport instance of the gateway's own. */
export function samlPassport(requests: ExpiringKeys, spPrivateKey: string, newRequestId: () => string): passport.PassportStatic {
  const instance = new passport.Passport() as unknown as passport.PassportStatic;
  // passport-saml carries its own copy of express's typings (express 4); the runtime objects are the same.
  instance.use(
    'saml',
    new (MultiSamlStrategy as unknown as new (...args: unknown[]) => passport.Strategy)(
      {
        passReqToCallback: true,
        getSamlOptions: (req: Request, done: (err: Error | null, options?: SamlConfig) => void) => {
          const connection = (req as unknown as SamlRequest).samlConnection;
          if (!connection) return done(new Error('no SAML connection resolved for this request'));
          done(null, samlOptions(connection, requests, spPrivateKey, newRequestId));
        },
      },
      (_req: Request, profile: Profile | null, done: (err: Error | null, user?: Record<string, unknown>) => void) => done(null, profile ?? undefined),
      (_req: Request, profile: Profile | null, done: (err: Error | null, user?: Record<string, unknown>) => void) => done(null, profile ?? undefined),
    ),
  );
  return instance;
}

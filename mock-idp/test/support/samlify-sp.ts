import * as samlify from 'samlify';
import type { SigningCredential } from '@rehearsal/runtime/credentials';
import type { TestIdp } from './idp.ts';

// samlify wants an XSD validator before it parses; schema validation is not under test here.
samlify.setSchemaValidator({ validate: () => Promise.resolve('skipped') });

const BINDING = { redirect: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect', post: 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST' };

export interface SamlifyPeer {
  sp: ReturnType<typeof samlify.ServiceProvider>;
  idp: ReturnType<typeof samlify.IdentityProvider>;
}

/**
 * samlify on the SP side: requests signed (and responses checked) by code we
 * did not write, so that our verification is not tested against our own signer.
 */
export async function samlifySp(
  idp: TestIdp,
  options: { entityId: string; acs: string; slo: string; credential: SigningCredential; signRequests: boolean },
): Promise<SamlifyPeer> {
  const metadata = (await idp.request('GET', '/saml/metadata')).text.replace(
    'WantAuthnRequestsSigned="false"',
    `WantAuthnRequestsSigned="${options.signRequests}"`,
  );
  return {
    sp: samlify.ServiceProvider({
      entityID: options.entityId,
      authnRequestsSigned: options.signRequests,
      privateKey: options.credential.privateKeyPem,
      signingCert: options.credential.certificatePem,
      requestSignatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      assertionConsumerService: [{ Binding: BINDING.post, Location: options.acs }],
      singleLogoutService: [
        { Binding: BINDING.redirect, Location: options.slo },
        { Binding: BINDING.post, Location: options.slo },
      ],
      wantLogoutResponseSigned: true,
    }),
    idp: samlify.IdentityProvider({ metadata, wantLogoutRequestSigned: options.signRequests }),
  };
}

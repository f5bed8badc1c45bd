import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAML } from '@node-saml/node-saml';
import { samlErrorOf } from '../src/saml/saml-errors.ts';
import { checkResponse, SamlRejection } from '../src/saml/response-checks.ts';
import { CASES, FIXTURE_SP, ISSUED_AT } from './fixtures/cases.ts';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const certificate = readFileSync(join(fixtures, 'idp-certificate.crt'), 'utf8');

/**
 * The gateway's verdict on a response, without a network: its own checks
 * (response-checks.ts), then node-saml's signature, Audience and Issuer checks
 * as the ACS runs them (clock checks are the gateway's, at ISSUED_AT).
 */
async function verdict(xml: string, wantAssertionsSigned = true): Promise<string> {
  try {
    checkResponse(xml, { acsUrl: FIXTURE_SP.acsUrl, audience: FIXTURE_SP.entityId, issuer: FIXTURE_SP.idpEntityId, now: ISSUED_AT, wantAssertionsSigned });
  } catch (err) {
    if (err instanceof SamlRejection) return err.code;
    throw err;
  }
  const saml = new SAML({
    callbackUrl: FIXTURE_SP.acsUrl,
    issuer: FIXTURE_SP.entityId,
    audience: FIXTURE_SP.entityId,
    idpCert: certificate,
    idpIssuer: FIXTURE_SP.idpEntityId,
    wantAssertionsSigned,
    wantAuthnResponseSigned: false,
    acceptedClockSkewMs: -1,
    validateInResponseTo: 'never' as never,
  });
  try {
    await saml.validatePostResponseAsync({ SAMLResponse: Buffer.from(xml).toString('base64') });
    return 'accepted';
  } catch (err) {
    return samlErrorOf(err).code;
  }
}

describe('gateway: SAML response fixtures, one per attack and accepted variant (gateway/test/fixtures)', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.expect}`, async () => {
      expect(await verdict(readFileSync(join(fixtures, `${c.name}.xml`), 'utf8'), c.wantAssertionsSigned)).to.equal(c.expect);
    });
  }
});

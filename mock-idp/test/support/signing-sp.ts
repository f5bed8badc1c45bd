import { expect } from 'chai';
import { generateCredential, type SigningCredential } from '@rehearsal/runtime/credentials';
import type { TestIdp } from './idp.ts';
import { samlifySp } from './samlify-sp.ts';

/** An SP that signs its requests (samlify as its library), with its key and a stranger's. */
export const SIGNING_SP = 'https://signing.example.test/sp';
export const SIGNING_ACS = 'https://signing.example.test/acs';
export const SIGNING_SLO = 'https://signing.example.test/slo';

export const keys: { sp: SigningCredential; stranger: SigningCredential } = {} as never;
before(async () => {
  [keys.sp, keys.stranger] = await Promise.all([generateCredential('Test SP', new Date()), generateCredential('Not the SP', new Date())]);
});

export async function registerSigningSp(idp: TestIdp, extra: Record<string, unknown> = {}) {
  const res = await idp.request('POST', '/api/service-providers', {
    entityId: SIGNING_SP,
    acsUrls: [SIGNING_ACS],
    sloUrl: SIGNING_SLO,
    certificate: keys.sp.certificatePem,
    wantAuthnRequestsSigned: true,
    ...extra,
  });
  expect(res.status, res.text).to.equal(201);
}

export const peer = (idp: TestIdp, credential = keys.sp, signRequests = true) =>
  samlifySp(idp, { entityId: SIGNING_SP, acs: SIGNING_ACS, slo: SIGNING_SLO, credential, signRequests });

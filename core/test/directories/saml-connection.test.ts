import { expect } from 'chai';
import { parseCertificate, serviceProviderUrls } from '../../src/directories/saml-connection.ts';
import { testCertificate } from '../support/core.ts';

describe('directories/saml-connection', () => {
  it('parses a PEM certificate and shows its fingerprint and validity', async () => {
    const parsed = parseCertificate(await testCertificate());
    expect(parsed).to.have.property('info');
    const { info } = parsed as { info: { subject: string; fingerprintSha256: string } };
    expect(info.subject).to.include('CN=mock-idp.test');
    expect(info.fingerprintSha256).to.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  });

  it('accepts bare base64 DER as IdP metadata carries it', async () => {
    const pem = await testCertificate();
    const bare = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    expect(parseCertificate(bare)).to.have.property('info');
  });

  it('refuses what is not exactly one certificate', async () => {
    const pem = await testCertificate();
    expect(parseCertificate('hello')).to.have.property('error');
    expect(parseCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).to.have.property('error');
    expect(parseCertificate(pem + pem)).to.have.property('error');
    expect(parseCertificate('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----')).to.have.property('error');
  });

  it('shows the SP entity ID and ACS URL on the gateway base URL', () => {
    expect(serviceProviderUrls('https://gw.example.com', 'c1')).to.deep.equal({
      spEntityId: 'https://gw.example.com/saml/c1',
      acsUrl: 'https://gw.example.com/login/callback?connection=saml-c1',
    });
  });
});

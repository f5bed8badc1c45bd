import { expect } from 'chai';
import { checkTxtRecords, checkVerificationFile, isPublicMailDomain, normalizeDomainName, verificationRecord } from '../../src/domains/domain.ts';

describe('domains/domain', () => {
  it('normalizes domain names to lower-case ASCII', () => {
    expect(normalizeDomainName(' Acme.COM. ')).to.equal('acme.com');
    expect(normalizeDomainName('bücher.de')).to.equal('xn--bcher-kva.de');
    expect(normalizeDomainName('eu.corp.acme.co.uk')).to.equal('eu.corp.acme.co.uk');
  });

  for (const bad of [
    'localhost',
    'acme',
    '-acme.com',
    'acme-.com',
    'ac me.com',
    'acme.c0m',
    'a'.repeat(64) + '.com',
    'acme..com',
    '127.0.0.1',
    'http://acme.com',
  ]) {
    it(`refuses ${JSON.stringify(bad)} as a domain name`, () => expect(normalizeDomainName(bad)).to.equal(undefined));
  }

  it('recognizes public mail domains and their subdomains', () => {
    expect(isPublicMailDomain('gmail.com')).to.equal(true);
    expect(isPublicMailDomain('mail.yahoo.com')).to.equal(true);
    expect(isPublicMailDomain('acme.com')).to.equal(false);
    expect(isPublicMailDomain('notgmail.com')).to.equal(false);
  });

  it('accepts the TXT record only when it matches exactly, joining split strings', () => {
    const token = 'tok-123';
    expect(checkTxtRecords([['v=spf1 -all'], [verificationRecord(token)]], token)).to.include({ verified: true, method: 'dns' });
    expect(checkTxtRecords([['atlassian-domain-verification=', 'tok-123']], token)).to.include({ verified: true });
    const missing = checkTxtRecords([['atlassian-domain-verification=tok-1234']], token);
    expect(missing).to.include({ verified: false, reason: 'txt-record-missing' });
  });

  it('accepts the file holding the token or the record line', () => {
    expect(checkVerificationFile('tok\n', 'tok')).to.include({ verified: true, method: 'http' });
    expect(checkVerificationFile(verificationRecord('tok'), 'tok')).to.include({ verified: true });
    expect(checkVerificationFile('<html>other</html>', 'tok')).to.include({ verified: false, reason: 'file-content-mismatch' });
    expect(checkVerificationFile(null, 'tok')).to.include({ verified: false, reason: 'file-missing' });
  });
});

import { expect } from 'chai';
import { canonicalLanguageTag, canonicalTimeZone, emailDomain, normalizeEmail } from '../../src/accounts/account.ts';
import { checkNewPassword, hashPassword, isPasswordExpired, passwordStrength, verifyPassword } from '../../src/accounts/password.ts';

describe('accounts/account and password', () => {
  it('canonicalizes IANA time zones and refuses unknown ones', () => {
    expect(canonicalTimeZone('Europe/Berlin')).to.equal('Europe/Berlin');
    expect(canonicalTimeZone('europe/berlin')).to.equal('Europe/Berlin');
    expect(canonicalTimeZone('UTC')).to.equal('UTC');
    expect(canonicalTimeZone('Mars/Olympus')).to.equal(undefined);
    expect(canonicalTimeZone('+02:00 ; drop')).to.equal(undefined);
  });

  it('canonicalizes BCP 47 tags and refuses malformed ones', () => {
    expect(canonicalLanguageTag('en-us')).to.equal('en-US');
    expect(canonicalLanguageTag('zh-hant-tw')).to.equal('zh-Hant-TW');
    expect(canonicalLanguageTag('english please')).to.equal(undefined);
    expect(canonicalLanguageTag('x')).to.equal(undefined);
  });

  it('lower-cases the domain of an email but keeps the local part', () => {
    expect(normalizeEmail('Alice.Smith@ACME.com')).to.equal('Alice.Smith@acme.com');
    expect(emailDomain('Alice@Sub.Acme.COM')).to.equal('sub.acme.com');
  });

  it('hashes with scrypt, salted, and verifies only the right password', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).to.match(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.to.equal(b);
    expect(await verifyPassword('correct horse battery staple', a)).to.equal(true);
    expect(await verifyPassword('correct horse battery stapler', a)).to.equal(false);
    expect(await verifyPassword('x', 'md5$abc')).to.equal(false);
  });

  it('rates strength on five levels and enforces the minimum with a reason code', () => {
    expect(passwordStrength('password')).to.equal('weak');
    expect(passwordStrength('Tr0ub4dour&3-horse-Violin-42')).to.equal('very-strong');
    expect(checkNewPassword('short', null)?.code).to.equal('password-length');
    expect(checkNewPassword('x'.repeat(101), null)?.code).to.equal('password-length');
    expect(checkNewPassword('password', null)).to.equal(undefined);
    expect(checkNewPassword('password', 'good')?.code).to.equal('password-too-weak');
    expect(checkNewPassword('Tr0ub4dour&3-horse-Violin-42', 'strong')).to.equal(undefined);
  });

  it('expires passwords after the policy duration, by the given clock', () => {
    const changed = '2026-01-01T00:00:00.000Z';
    expect(isPasswordExpired(changed, 30, new Date('2026-01-30T23:59:59Z'))).to.equal(false);
    expect(isPasswordExpired(changed, 30, new Date('2026-01-31T00:00:00Z'))).to.equal(true);
    expect(isPasswordExpired(changed, null, new Date('2099-01-01T00:00:00Z'))).to.equal(false);
  });
});

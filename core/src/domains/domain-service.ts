import { conflict, unprocessable } from '../reasons.ts';
import { joinDefaultPolicy } from '../accounts/account-service.ts';
import { nowIso, type CoreContext } from '../context.ts';
import type { StoreTx } from '../store/store.ts';
import { requireDirectory, requireDomain, requireOrg } from '../store/lookups.ts';
import { DEFAULT_FILE_URL_TEMPLATE } from './verifier.ts';
import {
  VERIFICATION_FILE_PATH,
  isPublicMailDomain,
  newVerificationToken,
  normalizeDomainName,
  verificationRecord,
  type Domain,
  type VerificationMethod,
} from './domain.ts';

export class DomainService {
  constructor(
    private readonly ctx: CoreContext,
    private readonly fileUrlTemplate: string = DEFAULT_FILE_URL_TEMPLATE,
  ) {}

  async add(orgId: string, rawName: string) {
    const name = normalizeDomainName(rawName);
    if (!name)
      throw unprocessable('invalid-domain', `"${rawName}" is not a domain name.`, [
        { path: 'body.name', message: 'not a domain name', expected: 'e.g. acme.com' },
      ]);
    if (isPublicMailDomain(name)) {
      throw unprocessable('public-mail-domain', `${name} is a public mail domain: its addresses belong to individuals and cannot be claimed.`, [
        { path: 'body.name', message: 'public mail domain' },
      ]);
    }
    return this.ctx.store.transaction(async (tx) => {
      await requireOrg(tx, orgId);
      await this.refuseIfVerifiedElsewhere(tx, orgId, name);
      if ((await tx.listDomains(orgId)).some((d) => d.name === name)) throw conflict('domain-already-added', `${name} is already added to this organization.`);
      const domain: Domain = {
        id: this.ctx.newId(),
        orgId,
        name,
        status: 'pending',
        token: newVerificationToken(),
        method: null,
        verifiedAt: null,
        directoryId: null,
        createdAt: nowIso(this.ctx),
      };
      await tx.insertDomain(domain);
      return this.view(domain);
    });
  }

  async list(orgId: string) {
    return this.ctx.store.read(async (tx) => {
      await requireOrg(tx, orgId);
      return (await tx.listDomains(orgId)).map((d) => this.view(d));
    });
  }

  async get(orgId: string, domainId: string) {
    return this.ctx.store.read(async (tx) => this.view(await requireDomain(tx, orgId, domainId)));
  }

  /**
   * Looks for the proof first (network or harness, outside any transaction), then
   * claims every account on the domain in one transaction.
   */
  async verify(orgId: string, domainId: string, method: VerificationMethod) {
    const domain = await this.ctx.store.read((tx) => requireDomain(tx, orgId, domainId));
    if (domain.status === 'verified') return { domain: this.view(domain), claimedAccounts: 0 };
    const outcome = await this.ctx.verifier.verify(domain.name, domain.token, method);
    if (!outcome.verified) {
      this.ctx.logger.info('domain verification failed', { orgId, domain: domain.name, method, reason: outcome.reason });
      throw unprocessable('domain-verification-failed', outcome.message, [{ path: 'body.method', message: outcome.reason, found: outcome.found ?? [] }]);
    }
    return this.ctx.store.transaction(async (tx) => {
      const current = await requireDomain(tx, orgId, domainId);
      if (current.status === 'verified') return { domain: this.view(current), claimedAccounts: 0 };
      await this.refuseIfVerifiedElsewhere(tx, orgId, current.name);
      const now = nowIso(this.ctx);
      await tx.updateDomain(domainId, { status: 'verified', method, verifiedAt: now });
      const claimed = await tx.claimAccountsOnDomain(current.name, orgId, now);
      await joinDefaultPolicy(tx, this.ctx, orgId, claimed);
      this.ctx.logger.info('domain verified', { orgId, domain: current.name, method, claimed: claimed.length });
      return { domain: this.view((await tx.getDomain(domainId))!), claimedAccounts: claimed.length };
    });
  }

  /** Unverifying releases every account the domain claimed; the domain stays, pending. */
  async unverify(orgId: string, domainId: string) {
    return this.ctx.store.transaction(async (tx) => {
      const domain = await requireDomain(tx, orgId, domainId);
      const released = await this.release(tx, domain);
      await tx.updateDomain(domainId, { status: 'pending', method: null, verifiedAt: null, directoryId: null });
      return { domain: this.view((await tx.getDomain(domainId))!), releasedAccounts: released };
    });
  }

  async remove(orgId: string, domainId: string) {
    return this.ctx.store.transaction(async (tx) => {
      const domain = await requireDomain(tx, orgId, domainId);
      const released = await this.release(tx, domain);
      await tx.deleteDomain(domainId);
      return { removed: domain.name, releasedAccounts: released };
    });
  }

  /** Links a verified domain to the IdP directory whose SAML connection serves it (or unlinks with null). */
  async linkDirectory(orgId: string, domainId: string, directoryId: string | null) {
    return this.ctx.store.transaction(async (tx) => {
      const domain = await requireDomain(tx, orgId, domainId);
      if (domain.status !== 'verified') throw conflict('domain-not-verified', `${domain.name} must be verified before it is linked to a directory.`);
      if (directoryId !== null) {
        const directory = await requireDirectory(tx, orgId, directoryId);
        if (directory.kind !== 'idp')
          throw unprocessable('directory-not-idp', 'Domains are linked to identity provider directories only.', [
            { path: 'body.directoryId', message: 'the local directory has no identity provider' },
          ]);
      }
      await tx.updateDomain(domainId, { directoryId });
      return this.view((await tx.getDomain(domainId))!);
    });
  }

  private async release(tx: StoreTx, domain: Domain) {
    if (domain.status !== 'verified') return 0;
    const released = await tx.releaseAccountsOnDomain(domain.name, domain.orgId, nowIso(this.ctx));
    await tx.removeMembership(released);
    this.ctx.logger.info('domain released', { orgId: domain.orgId, domain: domain.name, released: released.length });
    return released.length;
  }

  private async refuseIfVerifiedElsewhere(tx: StoreTx, orgId: string, name: string) {
    const owner = await tx.findVerifiedDomain(name);
    if (owner && owner.orgId !== orgId) {
      throw conflict('domain-verified-by-another-org', `${name} is verified by another organization; it must remove the domain first.`);
    }
  }

  private view(domain: Domain) {
    return {
      ...domain,
      verification: {
        dns: { type: 'TXT', name: domain.name, value: verificationRecord(domain.token) },
        http: { url: this.fileUrlTemplate.replaceAll('{domain}', domain.name), path: VERIFICATION_FILE_PATH, content: verificationRecord(domain.token) },
      },
    };
  }
}

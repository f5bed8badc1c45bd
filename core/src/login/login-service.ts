import { verifyPassword } from '../accounts/password.ts';
import { nowIso, type CoreContext } from '../context.ts';
import { SnapshotIndex } from '../orgs/org-snapshot.ts';
import { decideLogin, type LoginDecision } from './login-decision.ts';
import { serviceProviderUrls } from '../directories/saml-connection.ts';
import { notFound } from '../runtime/errors.ts';

/** What the gateway asks core: how must this email log in, is this password right, record this login. */
export class LoginService {
  constructor(private readonly ctx: CoreContext) {}

  async decide(email: string): Promise<LoginDecision> {
    return this.ctx.store.read(async (tx) => {
      const account = await tx.getAccountByEmail(email);
      const snapshot = account?.managedBy ? await tx.loadOrgSnapshot(account.managedBy, [account.id]) : undefined;
      return decideLogin(email, account, snapshot && new SnapshotIndex(snapshot), this.ctx.gatewayUrl, this.ctx.clock.now());
    });
  }

  /**
   * A SAML connection as the gateway's ACS needs it: the IdP to trust (issuer,
   * certificate) and the SP identity it was shown (entity ID, ACS URL).
   */
  async connection(id: string) {
    const connection = await this.ctx.store.read((tx) => tx.getConnection(id));
    if (!connection) throw notFound('connection-not-found', `No SAML connection ${id}.`);
    return { ...connection, ...serviceProviderUrls(this.ctx.gatewayUrl, connection.id) };
  }

  /** Checks a password; the answer carries a reason code, and the gateway throttles. */
  async checkPassword(email: string, password: string) {
    const account = await this.ctx.store.read((tx) => tx.getAccountByEmail(email));
    if (!account) return { valid: false, reason: 'account-unknown' as const, accountId: null };
    if (!account.active) return { valid: false, reason: 'account-deactivated' as const, accountId: account.id };
    if (!account.passwordHash) return { valid: false, reason: 'password-not-set' as const, accountId: account.id };
    const valid = await verifyPassword(password, account.passwordHash);
    return { valid, reason: valid ? ('password-valid' as const) : ('password-invalid' as const), accountId: account.id };
  }

  /** A completed login: the first one starts billing for SCIM-created Trello accounts. */
  async record(email: string, method: 'sso' | 'password') {
    return this.ctx.store.transaction(async (tx) => {
      const account = await tx.getAccountByEmail(email);
      if (!account) return { recorded: false, reason: 'account-unknown' as const };
      const now = nowIso(this.ctx);
      const firstLogin = account.firstLoginAt === null;
      await tx.updateAccount(account.id, { lastLoginAt: now, ...(firstLogin ? { firstLoginAt: now } : {}) }, now);
      this.ctx.logger.info('login recorded', { accountId: account.id, method, firstLogin });
      return { recorded: true, accountId: account.id, firstLogin, at: now };
    });
  }
}

import { hashPassword, verifyPassword } from '../accounts/password.ts';
import { randomBytes } from 'node:crypto';
import { nowIso, type CoreContext } from '../context.ts';
import { SnapshotIndex } from '../orgs/org-snapshot.ts';
import { decideLogin, type LoginDecision } from './login-decision.ts';
import { displayNameFromSaml, serviceProviderDetails, serviceProviderUrls } from '../directories/saml-connection.ts';
import { RehearsalError } from '@rehearsal/runtime';
import { badRequest, conflict, notFound } from '../reasons.ts';
import { isTwoStepEnrolled } from '../accounts/account.ts';
import { AccountService } from '../accounts/account-service.ts';
import { acceptTotp, matchRecoveryCode, newRecoveryCodes } from '../accounts/two-step.ts';
import { isSealed } from '../accounts/secret-box.ts';
import { recordSources } from '../accounts/profile-sources.ts';
import { COMPLETION_REFUSALS, namesFromAttributes, passwordCompletionRefusal, ssoCompletionRefusal, type CompletionRefusal } from './login-completion.ts';

/** The facts of an assertion the gateway validated, as `POST /api/login/complete` takes them. */
export interface SsoFacts {
  method: 'sso';
  connectionId: string;
  nameId: string;
  attributes: Record<string, string[]>;
  sessionIndex?: string;
}

/** A password login whose password the gateway checked, with the second factor it collected, if any. */
export interface PasswordFacts {
  method: 'password';
  email: string;
  twoStep?: { code: string; secret?: string };
}

/** What the session must be, or why there is none. */
export type LoginCompletion =
  | {
      completed: true;
      email: string;
      accountId: string | null;
      method: 'sso' | 'password';
      session: LoginDecision['session'];
      connectionId: string | null;
      sessionIndex: string | null;
      firstLogin: boolean;
      displayNameUpdated: boolean;
      secondFactor: string | null;
      recoveryCodesLeft: number | null;
      /** Shown once, when this login enrolled the account in two-step verification. */
      recoveryCodes: string[] | null;
    }
  | { completed: false; reason: CompletionRefusal | LoginDecision['reason'] | 'connection-unknown'; message: string; email: string };

/** A hash of nothing anyone knows, checked when there is no real one: same cost, never a match. */
let decoy: Promise<string> | undefined;
const decoyHash = () => (decoy ??= hashPassword(randomBytes(32).toString('base64url')));

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
   * The first call of a login: the decision and, when the path can be SSO, the
   * connection the gateway needs to send the AuthnRequest.
   */
  async start(email: string) {
    const decision = await this.decide(email);
    const connection = decision.idp ? await this.connection(decision.idp.connectionId).catch(() => null) : null;
    return { decision, connection };
  }

  /**
   * The last call of a login. Core re-decides for the person the facts name,
   * checks that those facts may finish it (the connection's directory, the
   * second factor the policy asks for), records the login (with the profile
   * the assertion carries) and answers what the session must be.
   */
  async complete(facts: SsoFacts | PasswordFacts): Promise<LoginCompletion> {
    if (facts.method === 'sso') {
      const email = facts.nameId.trim().toLowerCase();
      const connection = await this.ctx.store.read((tx) => tx.getConnection(facts.connectionId));
      if (!connection) return { completed: false, reason: 'connection-unknown', message: `No SAML connection ${facts.connectionId}.`, email };
      const decision = await this.decide(email);
      const refusal = ssoCompletionRefusal(decision, connection);
      if (refusal) return { completed: false, reason: refusal, message: `${email}: ${COMPLETION_REFUSALS[refusal]} (${decision.reason})`, email };
      const recorded = await this.record(decision.email, 'sso', { connectionId: connection.id, ...namesFromAttributes(facts.attributes) });
      return completion(decision, 'sso', recorded, { connectionId: connection.id, sessionIndex: facts.sessionIndex ?? null });
    }
    const decision = await this.decide(facts.email);
    const secondFactor = !facts.twoStep ? 'none' : facts.twoStep.secret ? 'enrolment' : 'code';
    const refusal = passwordCompletionRefusal(decision, secondFactor);
    if (refusal === 'login-refused') return { completed: false, reason: decision.reason, message: decision.message, email: decision.email };
    if (refusal) return { completed: false, reason: refusal, message: COMPLETION_REFUSALS[refusal], email: decision.email };
    let checked: { secondFactor: string; recoveryCodesLeft: number | null; recoveryCodes: string[] | null } | undefined;
    if (facts.twoStep?.secret) {
      const enrolled = await this.enrolTwoStep(decision.email, facts.twoStep.secret, facts.twoStep.code).catch((err: unknown) => {
        if (err instanceof RehearsalError && err.code === 'two-step-enrolled') return 'two-step-enrolled' as const;
        throw err;
      });
      if (enrolled === 'two-step-enrolled' || !enrolled.enrolled) {
        const reason = enrolled === 'two-step-enrolled' ? enrolled : 'two-step-code-invalid';
        return { completed: false, reason, message: COMPLETION_REFUSALS[reason], email: decision.email };
      }
      checked = { secondFactor: 'enrolled', recoveryCodesLeft: enrolled.recoveryCodes?.length ?? 0, recoveryCodes: enrolled.recoveryCodes };
    } else if (facts.twoStep) {
      const verified = await this.verifyTwoStep(decision.email, facts.twoStep.code);
      if (!verified.valid) {
        const reason =
          verified.reason === 'code-reused' ? 'two-step-code-reused' : verified.reason === 'two-step-not-enrolled' ? verified.reason : 'two-step-code-invalid';
        return { completed: false, reason, message: COMPLETION_REFUSALS[reason], email: decision.email };
      }
      checked = { secondFactor: verified.reason, recoveryCodesLeft: verified.recoveryCodesLeft, recoveryCodes: null };
    }
    const recorded = await this.record(decision.email, 'password');
    return completion(decision, 'password', recorded, { connectionId: null, sessionIndex: null, ...checked });
  }

  /**
   * A SAML connection as the gateway's ACS needs it: the IdP to trust (issuer,
   * certificate) and the SP identity it was shown (entity ID, ACS URL).
   */
  /** The SP side of a connection, or of the connection a directory will have: what the gateway's SP metadata shows. */
  async serviceProvider(id: string) {
    return this.ctx.store.read(async (tx) => {
      const connection = await tx.getConnection(id);
      if (connection) return serviceProviderDetails(this.ctx.gatewayUrl, connection.id, connection);
      const directory = await tx.getDirectory(id);
      if (directory?.kind === 'idp' && !(await tx.getConnectionByDirectory(id))) return serviceProviderDetails(this.ctx.gatewayUrl, id);
      throw notFound('connection-not-found', `No SAML connection ${id}, and no identity provider directory waiting for one.`);
    });
  }

  async connection(id: string) {
    const connection = await this.ctx.store.read((tx) => tx.getConnection(id));
    if (!connection) throw notFound('connection-not-found', `No SAML connection ${id}.`);
    return { ...connection, ...serviceProviderUrls(this.ctx.gatewayUrl, connection.id) };
  }

  /**
   * Checks a password; the answer carries a reason code, and the gateway
   * throttles. Every answer costs one scrypt, unknown emails and accounts
   * without a password included, so the time taken does not tell which accounts
   * exist; a deactivated account is reported only with its right password.
   * A right password comes with the login decision.
   */
  async checkPassword(email: string, password: string) {
    const account = await this.ctx.store.read((tx) => tx.getAccountByEmail(email));
    const valid = await verifyPassword(password, account?.passwordHash ?? (await decoyHash()));
    if (!account) return { valid: false, reason: 'account-unknown' as const, accountId: null };
    if (!account.passwordHash) return { valid: false, reason: 'password-not-set' as const, accountId: account.id };
    if (!valid) return { valid: false, reason: 'password-invalid' as const, accountId: account.id };
    if (!account.active) return { valid: false, reason: 'account-deactivated' as const, accountId: account.id };
    // A right password starts the password path: the decision comes with it, so the gateway need not ask again.
    return { valid: true, reason: 'password-valid' as const, accountId: account.id, decision: await this.decide(email) };
  }

  /**
   * Two-step enrolment, confirmed: the gateway showed the secret, the user
   * typed a code from it. Stores the secret and returns recovery codes once.
   */
  async enrolTwoStep(email: string, secret: string, code: string) {
    return this.ctx.store.transaction(async (tx) => {
      const account = await tx.getAccountByEmail(email);
      if (!account) throw notFound('account-unknown', `No account ${email}.`);
      if (isTwoStepEnrolled(account)) throw conflict('two-step-enrolled', `${email} is enrolled already: an admin can reset two-step verification.`);
      if (!/^[A-Z2-7]{26,64}$/.test(secret)) throw badRequest('two-step-secret-invalid', 'The secret is not a base32 TOTP secret of at least 128 bits.');
      const step = acceptTotp(secret, code, this.ctx.clock.now(), null);
      if (step === undefined) return { enrolled: false, reason: 'code-invalid' as const, recoveryCodes: null };
      const recovery = newRecoveryCodes();
      await tx.updateAccount(
        account.id,
        { totpSecret: this.ctx.secrets.seal(secret), totpLastStep: step, recoveryCodeHashes: recovery.hashes },
        nowIso(this.ctx),
      );
      this.ctx.logger.info('two-step enrolled', { accountId: account.id });
      return { enrolled: true, reason: 'enrolled' as const, recoveryCodes: recovery.codes };
    });
  }

  /**
   * A second-factor code: a TOTP code for a step after the last one used, or a
   * recovery code, which is spent. Atomic, so two requests cannot both use one code.
   */
  async verifyTwoStep(email: string, code: string) {
    return this.ctx.store.transaction(async (tx) => {
      const account = await tx.getAccountByEmail(email);
      if (!account || !account.totpSecret) return { valid: false, reason: 'two-step-not-enrolled' as const, recoveryCodesLeft: 0 };
      const trimmed = code.replace(/\s+/g, '');
      const secret = this.ctx.secrets.open(account.totpSecret);
      // A secret stored before secrets were sealed is sealed at this write.
      const resealed = isSealed(account.totpSecret) ? {} : { totpSecret: this.ctx.secrets.seal(secret) };
      if (/^\d{6}$/.test(trimmed)) {
        const step = acceptTotp(secret, trimmed, this.ctx.clock.now(), account.totpLastStep);
        if (step === undefined) {
          // A right code for a step already used is a replay: say so, it is worth knowing.
          const reused = acceptTotp(secret, trimmed, this.ctx.clock.now(), null) !== undefined;
          return { valid: false, reason: reused ? ('code-reused' as const) : ('code-invalid' as const), recoveryCodesLeft: account.recoveryCodeHashes.length };
        }
        await tx.updateAccount(account.id, { totpLastStep: step, ...resealed }, nowIso(this.ctx));
        return { valid: true, reason: 'totp-valid' as const, recoveryCodesLeft: account.recoveryCodeHashes.length };
      }
      const index = matchRecoveryCode(trimmed, account.recoveryCodeHashes);
      if (index < 0) return { valid: false, reason: 'code-invalid' as const, recoveryCodesLeft: account.recoveryCodeHashes.length };
      const left = account.recoveryCodeHashes.filter((_, i) => i !== index);
      await tx.updateAccount(account.id, { recoveryCodeHashes: left, ...resealed }, nowIso(this.ctx));
      return { valid: true, reason: 'recovery-code-used' as const, recoveryCodesLeft: left.length };
    });
  }

  /** A new password the user chose at login (set, or changed once expired): the policy's rules apply. */
  async changePassword(email: string, password: string) {
    const account = await this.ctx.store.read((tx) => tx.getAccountByEmail(email));
    if (!account) throw notFound('account-unknown', `No account ${email}.`);
    return new AccountService(this.ctx).setPassword(account.id, password);
  }

  /**
   * A completed login: the first one starts billing for SCIM-created Trello
   * accounts. A SAML login (through `connectionId`) marks the connection as
   * working and, under the connection's rule, rewrites the display name from the
   * names it carries.
   */
  async record(email: string, method: 'sso' | 'password', saml: { displayName?: string; connectionId?: string; givenName?: string; surname?: string } = {}) {
    return this.ctx.store.transaction(async (tx) => {
      const account = await tx.getAccountByEmail(email);
      if (!account) return { recorded: false, reason: 'account-unknown' as const };
      const now = nowIso(this.ctx);
      const firstLogin = account.firstLoginAt === null;
      let displayName = saml.displayName;
      const connection = saml.connectionId ? await tx.getConnection(saml.connectionId) : undefined;
      if (connection) {
        await tx.recordConnectionLogin(connection.id, now);
        // (3p) A SAML login carries the IdP's name for the user: it overwrites what SCIM or an admin set, unless the connection says otherwise.
        displayName = displayNameFromSaml(connection.displayNameFromSaml, saml);
      }
      const rename = displayName !== undefined && displayName !== account.displayName;
      const renamed = rename ? { displayName, profileSources: recordSources(account.profileSources, account, { displayName }, 'saml-login', now) } : {};
      await tx.updateAccount(account.id, { lastLoginAt: now, ...(firstLogin ? { firstLoginAt: now } : {}), ...renamed }, now);
      this.ctx.logger.info('login recorded', { accountId: account.id, method, firstLogin });
      return { recorded: true, accountId: account.id, firstLogin, at: now, displayNameUpdated: rename };
    });
  }
}

function completion(
  decision: LoginDecision,
  method: 'sso' | 'password',
  recorded: { firstLogin?: boolean; displayNameUpdated?: boolean },
  extra: {
    connectionId: string | null;
    sessionIndex: string | null;
    secondFactor?: string;
    recoveryCodesLeft?: number | null;
    recoveryCodes?: string[] | null;
  },
): LoginCompletion {
  return {
    completed: true,
    email: decision.email,
    accountId: decision.accountId,
    method,
    session: decision.session,
    connectionId: extra.connectionId,
    sessionIndex: extra.sessionIndex,
    firstLogin: recorded.firstLogin ?? false,
    displayNameUpdated: recorded.displayNameUpdated ?? false,
    secondFactor: extra.secondFactor ?? null,
    recoveryCodesLeft: extra.recoveryCodesLeft ?? null,
    recoveryCodes: extra.recoveryCodes ?? null,
  };
}

import { notFound, unprocessable } from '../reasons.ts';
import type { StoreTx } from './store.ts';

/** Loads that turn "no such row (in this organization)" into a 404 with a code naming the kind. */
export async function requireOrg(tx: StoreTx, orgId: string) {
  const org = await tx.getOrg(orgId);
  if (!org) throw notFound('org-not-found', `No organization ${orgId}.`);
  return org;
}

export async function requireAccount(tx: StoreTx, accountId: string) {
  const account = await tx.getAccount(accountId);
  if (!account) throw notFound('account-not-found', `No account ${accountId}.`);
  return account;
}

export async function requireDomain(tx: StoreTx, orgId: string, domainId: string) {
  const domain = await tx.getDomain(domainId);
  if (!domain || domain.orgId !== orgId) throw notFound('domain-not-found', `No domain ${domainId} in organization ${orgId}.`);
  return domain;
}

export async function requireDirectory(tx: StoreTx, orgId: string, directoryId: string) {
  const directory = await tx.getDirectory(directoryId);
  if (!directory || directory.orgId !== orgId) throw notFound('directory-not-found', `No directory ${directoryId} in organization ${orgId}.`);
  return directory;
}

export async function requirePolicy(tx: StoreTx, orgId: string, policyId: string) {
  const policy = await tx.getPolicy(policyId);
  if (!policy || policy.orgId !== orgId) throw notFound('policy-not-found', `No policy ${policyId} in organization ${orgId}.`);
  return policy;
}

export async function localDirectory(tx: StoreTx, orgId: string) {
  const local = (await tx.listDirectories(orgId)).find((d) => d.kind === 'local');
  if (!local) throw new Error(`organization ${orgId} has no local directory`);
  return local;
}

/** The default policy of a directory; every directory has exactly one. */
export async function defaultPolicyOf(tx: StoreTx, directoryId: string) {
  const policy = await tx.getDefaultPolicy(directoryId);
  if (!policy) throw new Error(`directory ${directoryId} has no default policy`);
  return policy;
}

/**
 * Resolves emails to accounts; unknown emails are a 422 listing every one, so a batch
 * either applies whole or not at all.
 */
export async function requireAccountsByEmail(tx: StoreTx, emails: string[]) {
  const accounts = await tx.getAccountsByEmail(emails);
  const known = new Set(accounts.map((a) => a.email.toLowerCase()));
  const unknown = emails.filter((e) => !known.has(e.toLowerCase()));
  if (unknown.length) {
    throw unprocessable(
      'unknown-accounts',
      `${unknown.length} email(s) have no account: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`,
      unknown.map((email) => ({ path: 'body.emails', message: 'no account has this email', email })),
    );
  }
  return accounts;
}

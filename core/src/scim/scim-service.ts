import { createHash, randomBytes } from 'node:crypto';
import type { CoreContext } from '../context.ts';
import type { Directory } from '../directories/directory.ts';
import type { StoreTx } from '../store/store.ts';
import { ScimError } from './scim-error.ts';
import { ScimGroups } from './scim-groups.ts';
import { ScimRateLimiter } from './scim-limits.ts';
import { ScimUsers } from './scim-users.ts';

export { MAX_RESULTS, type ListParams, type ScimResponse } from './scim-resources.ts';

/**
 * The SCIM 2.0 directory server: resources as RFC 7643/7644 describe them, and
 * their effect on the organization as the vendor applies it (linked or created
 * accounts, the directory's default policy, deactivation, Trello, group access),
 * every change recorded in the audit log. Users and groups live in their own
 * modules; this one holds the credentials.
 */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A new bearer token for the directory; the previous one stops working. Shown once, stored hashed. */
export async function issueScimToken(tx: StoreTx, directoryId: string): Promise<string> {
  const token = `rhsc_${randomBytes(32).toString('base64url')}`;
  await tx.setScimToken(directoryId, hashToken(token));
  return token;
}

export class ScimService {
  readonly users: ScimUsers;
  readonly groups: ScimGroups;
  private readonly rate: ScimRateLimiter;

  constructor(private readonly ctx: CoreContext) {
    this.users = new ScimUsers(ctx);
    this.groups = new ScimGroups(ctx);
    this.rate = new ScimRateLimiter(ctx.clock, ctx.store);
  }

  /** The directory the token opens; another directory's token is as bad as none. */
  async authenticate(directoryId: string, header: string | undefined): Promise<Directory> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) throw new ScimError(401, undefined, 'Send the directory API token as Authorization: Bearer <token>.');
    const directory = await this.ctx.store.read((tx) => tx.findDirectoryByScimToken(hashToken(match[1]!)));
    if (!directory || directory.id !== directoryId) throw new ScimError(401, undefined, 'The bearer token is not valid for this directory.');
    // Counted once the caller is known, so a stranger cannot spend a directory's rate.
    await this.rate.take(directory);
    return directory;
  }
}

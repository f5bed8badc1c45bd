import type { Clock, Logger } from '@rehearsal/runtime';
import type { DomainVerifier } from './domains/verifier.ts';
import type { Store } from './store/store.ts';
import type { SecretBox } from './accounts/secret-box.ts';
import type { ScimLimits } from './scim/scim-limits.ts';

/** What every core service needs: the store, time, logs, identifiers and the outside world. */
export interface CoreContext {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Base URL of the gateway: SP entity IDs and ACS URLs are shown on it. */
  gatewayUrl: string;
  /** Base URL of core itself, for the SCIM base URLs shown to admins. */
  publicUrl: string;
  verifier: DomainVerifier;
  /** Encrypts what must not sit in the database in clear (TOTP secrets). */
  secrets: SecretBox;
  /** The directory sizes `atlassian` fidelity enforces (the product's, unless a test sets small ones). */
  scimLimits: ScimLimits;
  newId(): string;
}

export const nowIso = (ctx: Pick<CoreContext, 'clock'>) => ctx.clock.now().toISOString();

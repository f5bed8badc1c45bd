import type { LoginDecision } from './login-decision.ts';

/**
 * The rules that finish a login, pure: which decisions a SAML assertion from a
 * given connection may complete, and which second factor a password login
 * still owes. Core applies them at `POST /api/login/complete`; the gateway
 * holds none of them.
 */

export const COMPLETION_REFUSALS = {
  'authentication-policy-strategy-mismatch':
    "The account is not a managed account in an SSO policy of this identity provider's directory: ask an admin to check the account's authentication policy.",
  'sso-required': 'The authentication policy enforces SSO: a password cannot be used.',
  'two-step-code-required': 'The authentication policy requires two-step verification: send the code.',
  'two-step-code-invalid': 'Wrong code: try the code the app shows now.',
  'two-step-code-reused': 'That code was used already: wait for the next one.',
  'two-step-not-enrolled': 'This account has no two-step verification to check a code against.',
  'two-step-enrolled': 'This account is enrolled in two-step verification already: log in again to use it.',
} as const;
export type CompletionRefusal = keyof typeof COMPLETION_REFUSALS;

/**
 * Whether an assertion from `connection` may complete the login `decision`
 * describes: the person must be allowed, in an SSO policy (enforced or
 * optional), whose directory is the connection's. Else the reason why not.
 */
export function ssoCompletionRefusal(decision: LoginDecision, connection: { directoryId: string }): CompletionRefusal | undefined {
  const viaThisConnection = decision.policy?.directoryId === connection.directoryId && (decision.method === 'sso' || decision.method === 'sso-or-password');
  return decision.allowed && viaThisConnection ? undefined : 'authentication-policy-strategy-mismatch';
}

/** Whether a password login may finish: not under an SSO-only policy, and with its second factor when the policy asks for one. */
export function passwordCompletionRefusal(
  decision: LoginDecision,
  secondFactor: 'none' | 'code' | 'enrolment',
): CompletionRefusal | 'login-refused' | undefined {
  if (!decision.allowed) return 'login-refused';
  if (decision.method === 'sso') return 'sso-required';
  if (decision.twoStep.required && secondFactor === 'none') return 'two-step-code-required';
  return undefined;
}

const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';
const firstOf = (attributes: Record<string, readonly string[]>, names: string[]) => {
  for (const name of names) {
    const text = attributes[name]?.[0];
    if (typeof text === 'string' && text.trim()) return text.trim();
  }
  return undefined;
};

/** Given name and surname from an assertion's attributes, under the claim URIs Entra sends, the OIDs, or the usual short names. */
export function namesFromAttributes(attributes: Record<string, readonly string[]>): { givenName?: string; surname?: string } {
  const givenName = firstOf(attributes, [`${CLAIMS}/givenname`, 'givenName', 'firstName', 'urn:oid:2.5.4.42']);
  const surname = firstOf(attributes, [`${CLAIMS}/surname`, 'surname', 'sn', 'lastName', 'urn:oid:2.5.4.4']);
  return { ...(givenName ? { givenName } : {}), ...(surname ? { surname } : {}) };
}

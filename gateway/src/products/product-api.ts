import { CoreUnavailable, type CoreClient } from '@rehearsal/core/client';
import { cookieOf, sendJson, type FastRoute, type Logger } from '@rehearsal/runtime';
import { REASON_NOTICES, SESSION_COOKIE, type Sessions } from '../sessions/sessions.ts';
import type { IdentityTokens } from './identity-tokens.ts';

/** Gateway product names (as in `/jira` or `/api/products/jira`) and the product core knows them as. */
export const PRODUCT_PATHS: Record<string, string> = {
  jira: 'jira-software',
  'jira-software': 'jira-software',
  'jira-work-management': 'jira-work-management',
  jsm: 'jsm-agent',
  'jsm-agent': 'jsm-agent',
  'jsm-customer': 'jsm-customer',
  confluence: 'confluence',
  bitbucket: 'bitbucket',
};

/** Core's endpoint for a gateway product name, or undefined for a name the gateway does not serve. */
export function corePathOf(product: string): string | undefined {
  if (product === 'trello') return '/api/me/trello/boards';
  const known = PRODUCT_PATHS[product];
  return known ? `/api/me/products/${known}` : undefined;
}

export interface Delegation {
  /** `ok`: core's answer as it wrote it; otherwise why the session or core said no. */
  status: number;
  text: string;
  /** Set when the session is over: the cookie is cleared and browsers go back to the login page. */
  sessionEnded?: string;
  /** The live session, for pages that show more than core's answer. */
  session?: { id: string };
}

const refusal = (status: number, code: string, message: string, sessionEnded?: string): Delegation => ({
  status,
  text: JSON.stringify({ error: { code, message } }),
  ...(sessionEnded ? { sessionEnded } : {}),
});

/**
 * A product request on someone's behalf: a live session (this request counts
 * as activity), then core's answer for the person, vouched for by a short-lived
 * identity token. One rule for the pages and the product API.
 */
export async function delegate(
  deps: { sessions: Sessions; identity: IdentityTokens; core: CoreClient },
  cookieValue: string | undefined,
  corePath: string,
): Promise<Delegation> {
  const state = await deps.sessions.resume(cookieValue);
  if (!state.session) {
    const reason = state.reason ?? 'login-required';
    return refusal(401, reason, REASON_NOTICES[reason]!, reason);
  }
  const { session } = state;
  if (!session.accountId) return { ...refusal(403, 'no-product-access', 'This login has no account in core.'), session };
  const token = await deps.identity.tokenFor({ accountId: session.accountId, email: session.email });
  const answer = await deps.core.asPerson(corePath, token);
  if (answer.status === 200) return { status: 200, text: answer.text, session };
  let error: { code?: string; message?: string } | undefined;
  try {
    error = (JSON.parse(answer.text) as { error?: { code?: string; message?: string } } | null)?.error;
  } catch {
    // not JSON: the generic refusal below
  }
  return { ...refusal(answer.status, error?.code ?? 'no-product-access', error?.message ?? 'No access.'), session };
}

/**
 * `GET /api/products/:product`, the hot path of every product call, answered
 * before express dispatches: no prototype swap, router walk or response
 * helpers, and core's JSON passed through as text. Express costs about as much
 * as the whole proxying here (the gateway bench). Returns false for anything
 * else, which express then handles.
 */
export function productApi(deps: { sessions: Sessions; identity: IdentityTokens; core: CoreClient; logger: Logger; secure: boolean }): FastRoute {
  const PREFIX = '/api/products/';
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'GET' || !url.startsWith(PREFIX)) return false;
    const query = url.indexOf('?');
    let name: string;
    try {
      name = decodeURIComponent(url.slice(PREFIX.length, query < 0 ? undefined : query));
    } catch {
      return false; // not a product name: express answers
    }
    // A trailing slash is the same resource, as express's non-strict routing has it.
    const corePath = corePathOf(name.replace(/\/$/, ''));
    if (!corePath) return false;
    const send = (answer: Delegation) =>
      sendJson(
        res,
        answer.status,
        answer.text,
        answer.sessionEnded
          ? { 'set-cookie': `${SESSION_COOKIE}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax${deps.secure ? '; Secure' : ''}` }
          : {},
      );
    delegate(deps, cookieOf(req, SESSION_COOKIE), corePath).then(send, (err: unknown) => {
      deps.logger.error(err instanceof CoreUnavailable ? 'core unavailable' : 'product request failed', { message: (err as Error).message });
      send(
        err instanceof CoreUnavailable
          ? refusal(503, 'core-unavailable', 'The gateway cannot reach core right now: try again in a moment.')
          : refusal(500, 'internal-error', 'Something went wrong in the gateway.'),
      );
    });
    return true;
  };
}

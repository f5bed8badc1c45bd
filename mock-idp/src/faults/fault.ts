import { z } from 'zod';

/**
 * Faults a test can ask the IdP to put into a login response, to check that
 * the service provider refuses it. Each name is what the SP should notice.
 */
export const SIMPLE_FAULTS = [
  'expired',
  'not-yet-valid',
  'wrong-audience',
  'wrong-recipient',
  'wrong-destination',
  'wrong-issuer',
  'unsigned',
  'wrong-key',
  'rsa-sha1',
  'missing-name-id',
  'name-id-not-email',
  'wrong-in-response-to',
  'replay',
  'two-assertions',
  'status-responder',
  'status-authn-failed',
] as const;

/**
 * XML signature wrapping, after Somorovsky et al., "On Breaking SAML" (2012),
 * in the numbering SAML Raider uses: 1–2 wrap the Response's signature, 3–8
 * the Assertion's. Each keeps a correctly signed original somewhere an SP that
 * checks the signature by ID will find it, and shows an unsigned assertion for
 * another user where an SP that reads "the first assertion" will take it.
 */
export const XSW_VARIANTS = ['xsw1', 'xsw2', 'xsw3', 'xsw4', 'xsw5', 'xsw6', 'xsw7', 'xsw8'] as const;
export type XswVariant = (typeof XSW_VARIANTS)[number];

export type Fault = { fault: (typeof SIMPLE_FAULTS)[number] } | { fault: 'clock-skew'; seconds: number } | { fault: XswVariant; impersonate?: string };
export type FaultName = Fault['fault'];

const DAY_SECONDS = 86_400;

const clockSkew = z.object({ fault: z.literal('clock-skew'), seconds: z.number().int().min(-DAY_SECONDS).max(DAY_SECONDS) }).strict();
const xsw = z.object({ fault: z.enum(XSW_VARIANTS), impersonate: z.email().optional() }).strict();

/** `"expired"`, `"clock-skew:300"`, `"xsw3"`, or the object forms. */
const shorthand = z.string().transform((value, ctx): Fault => {
  const skew = /^clock-skew:([+-]?\d+)$/.exec(value);
  if (skew) {
    const seconds = Number(skew[1]);
    if (Math.abs(seconds) <= DAY_SECONDS) return { fault: 'clock-skew', seconds };
    ctx.addIssue({ code: 'custom', message: `clock skew is at most ${DAY_SECONDS} seconds either way` });
    return z.NEVER;
  }
  if ((XSW_VARIANTS as readonly string[]).includes(value)) return { fault: value as XswVariant };
  if ((SIMPLE_FAULTS as readonly string[]).includes(value)) return { fault: value as (typeof SIMPLE_FAULTS)[number] };
  ctx.addIssue({ code: 'custom', message: `unknown fault "${value}": one of ${[...SIMPLE_FAULTS, 'clock-skew:<seconds>', ...XSW_VARIANTS].join(', ')}` });
  return z.NEVER;
});

const objectForm = z.discriminatedUnion('fault', [clockSkew, xsw, z.object({ fault: z.enum(SIMPLE_FAULTS) }).strict()]);

/** A fault as a string or an object; the error says what is wrong with the form that was given. */
export const faultInput = z.unknown().transform((value, ctx): Fault => {
  const parsed = (typeof value === 'string' ? shorthand : objectForm).safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER;
});
export const faultList = z.array(faultInput).max(16);

const SIGNING_CHANGES: FaultName[] = ['unsigned', 'wrong-key', 'rsa-sha1'];
const STATUS_FAULTS: FaultName[] = ['status-responder', 'status-authn-failed'];
const isXsw = (name: FaultName): name is XswVariant => (XSW_VARIANTS as readonly string[]).includes(name);

/**
 * Faults that cannot go together, or undefined: a replay is sent verbatim, an
 * error status carries no assertion to alter, a wrapping needs a signature.
 */
export function faultConflict(faults: Fault[]): string | undefined {
  const names = faults.map((f) => f.fault);
  const has = (name: FaultName) => names.includes(name);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) return `${duplicate} is given twice`;
  if (has('replay') && names.length > 1) return 'replay sends the previous response verbatim and cannot be combined with other faults';
  const status = names.filter((n) => STATUS_FAULTS.includes(n));
  if (status.length > 1) return 'only one status fault at a time';
  if (status.length && names.length > 1) return `${status[0]} sends no assertion, so no other fault can apply`;
  if (has('expired') && has('not-yet-valid')) return 'an assertion cannot be both expired and not yet valid';
  const wrappings = names.filter(isXsw);
  if (wrappings.length > 1) return 'only one signature-wrapping variant at a time';
  if (wrappings.length && has('unsigned')) return `${wrappings[0]} wraps a signature, so the response cannot be unsigned`;
  if (wrappings.length && has('two-assertions')) return `${wrappings[0]} and two-assertions both rearrange the assertions`;
  if (has('unsigned') && names.some((n) => n !== 'unsigned' && SIGNING_CHANGES.includes(n))) return 'an unsigned response has no key or algorithm to change';
  return undefined;
}

export const isWrapping = (fault: Fault): fault is { fault: XswVariant; impersonate?: string } => isXsw(fault.fault);

/** Faults from several sources (request, user, SP), each name once, the first given winning. */
export function mergeFaults(...lists: Fault[][]): Fault[] {
  const merged: Fault[] = [];
  for (const fault of lists.flat()) if (!merged.some((f) => f.fault === fault.fault)) merged.push(fault);
  return merged;
}

import { z } from 'zod';
import {
  BOARD_VISIBILITIES,
  DISPLAY_NAME_FROM_SAML,
  PASSWORD_STRENGTHS,
  PLANS,
  SUBSCRIPTIONS,
  PRODUCTS,
  PRODUCT_PLANS,
  SSO_MODES,
  TWO_STEP_MODES,
  WORKSPACE_PLANS,
  profileFields,
} from '@rehearsal/core/inputs';
import { parseDuration } from '@rehearsal/runtime';
import { DEPROVISION_MODES, PROFILE_NAMES, groupInput, mappingInput, userInput } from '@rehearsal/mock-idp/inputs';

/**
 * A scenario file: both sides of a rollout in one YAML document. The shape may
 * grow but never change: the pilot example in the README loads as written.
 *
 * Lists of people may hold `repeat` entries, which stand for many: `{n}` in any
 * string is replaced by 1..repeat (`{n:4}` pads to four digits).
 */
const email = z.email({ message: 'not an email address' }).max(320);
const name = z.string().trim().min(1).max(255);
/** An email with `{n}` in it, in a repeat entry. */
const emailTemplate = z
  .string()
  .min(3)
  .max(320)
  .regex(/\{n(:\d)?\}/, 'a repeat entry needs {n} in its email');
const repeat = z.number().int().min(1).max(200_000);

/**
 * One entry or a `repeat` entry, told apart by the `repeat` key, so that a
 * mistake is reported against the shape the author meant (a plain union would
 * only say that neither matched).
 */
function repeatable<O extends z.ZodType, R extends z.ZodType>(one: O, many: R) {
  return z.unknown().transform((value, ctx): z.output<O> | z.output<R> => {
    const schema = value !== null && typeof value === 'object' && 'repeat' in value ? many : one;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: issue.path });
    return z.NEVER;
  });
}

const duration = z.string().refine((v) => (parseDuration(v) ?? 0) > 0, { message: 'not a duration (for example 15m, 1h, 30d)' });

const product = z.enum(PRODUCTS);
const productPlan = z.enum(PRODUCT_PLANS);

/** The IdP's users are exactly what the mock IdP accepts. */
const idpUser = userInput;
const idpUserRepeat = userInput.omit({ email: true, id: true }).extend({ repeat, email: emailTemplate }).strict();

const accountFields = {
  ...profileFields,
  password: z.string().max(1000).optional(),
  /** Product access; `trello` makes a Trello account. */
  products: z.array(product).optional(),
  /** Trello workspaces (declared under `trello.workspaces`) the account's Trello account belongs to. */
  workspaces: z.array(name).optional(),
  active: z.boolean().optional(),
};
const account = z.strictObject({ email, ...accountFields });
const accountRepeat = z.strictObject({ repeat, email: emailTemplate, ...accountFields });

const policy = z.strictObject({
  name,
  /** `idp`: the mock IdP's directory; `local`: the organization's local directory. */
  directory: z.enum(['idp', 'local']).optional(),
  default: z.boolean().optional(),
  sso: z.enum(SSO_MODES).optional(),
  twoStep: z.enum(TWO_STEP_MODES).optional(),
  idleSession: duration.optional(),
  sessionExpiry: duration.nullable().optional(),
  passwordMinStrength: z.enum(PASSWORD_STRENGTHS).nullable().optional(),
  passwordExpiryDays: z.number().int().nullable().optional(),
  billable: z.boolean().optional(),
  members: z.array(email).optional(),
});

const board = z.strictObject({ name, visibility: z.enum(BOARD_VISIBILITIES) });

export const scenarioSchema = z.strictObject({
  /** `subscription: guard` (Atlassian Guard) for SSO, provisioning and several policies; the Enterprise plan includes it. */
  organization: z.strictObject({
    name,
    plan: z.enum(PLANS).default('enterprise'),
    subscription: z.enum(SUBSCRIPTIONS).default('none'),
    admins: z.array(email).min(1).max(20),
  }),
  domains: z.array(z.strictObject({ name: z.string().min(1).max(253), verify: z.enum(['dns', 'http', 'none']).default('dns') })).default([]),
  idp: z
    .strictObject({
      /** The name of the IdP directory in core. */
      directory: name.default('Mock IdP'),
      /**
       * An external IdP instead of the mock one (your Okta, Entra ID or Keycloak tenant): its
       * metadata URL, or a file beside the scenario. Its users, groups and provisioning are its own.
       */
      metadata: z.string().min(1).max(2048).optional(),
      users: z.array(repeatable(idpUser, idpUserRepeat)).default([]),
      groups: z.array(groupInput).default([]),
      saml: z
        .strictObject({
          allowIdpInitiated: z.boolean().default(false),
          /** The gateway signs its AuthnRequests; the IdP, which imports the gateway's metadata, then requires it. */
          signAuthnRequests: z.boolean().default(false),
          /** The assertion itself must be signed (as the product has it); false also takes a signed Response covering it. */
          wantAssertionsSigned: z.boolean().default(true),
          singleLogout: z.boolean().default(true),
          /** What a SAML login writes into the display name: given + family name, family + given, or nothing. */
          displayNameFromSaml: z.enum(DISPLAY_NAME_FROM_SAML).default('given-family'),
        })
        .default({ allowIdpInitiated: false, signAuthnRequests: false, wantAssertionsSigned: true, singleLogout: true, displayNameFromSaml: 'given-family' }),
      /** How core's SCIM server for this directory answers: the RFCs, or like the vendor's (its limits and rate). */
      scim: z
        .strictObject({
          fidelity: z.enum(['rfc', 'atlassian']).default('rfc'),
          rateLimit: z
            .union([z.strictObject({ requests: z.number().int().min(1).max(1_000_000), perSeconds: z.number().int().min(1).max(86_400) }), z.literal('off')])
            .optional(),
        })
        .optional(),
      provisioning: z
        .strictObject({
          profile: z.enum(PROFILE_NAMES).default('entra'),
          scope: z.enum(['all', 'assigned']).default('all'),
          assignments: z.strictObject({ users: z.array(z.string()).default([]), groups: z.array(z.string()).default([]) }).optional(),
          mappings: z.array(mappingInput).default([]),
          /** How users leave core: the profile's way by default (entra: disable, then DELETE after the soft-delete period; okta: disable). */
          deprovision: z.enum(DEPROVISION_MODES).optional(),
          softDeletePeriod: duration.optional(),
          /** Run the first cycle while the scenario is applied (off to look at the plan first). */
          runOnApply: z.boolean().default(true),
        })
        .optional(),
    })
    .optional(),
  /** Product accounts that exist before SSO and SCIM. */
  accounts: z.array(repeatable(account, accountRepeat)).default([]),
  /** Product plans; products used by accounts and not listed here are enabled on `standard`. */
  products: z.partialRecord(product.exclude(['trello']), productPlan).default({}),
  policies: z.array(policy).default([]),
  trello: z
    .strictObject({
      enterprise: name,
      linkToOrganization: z.boolean().default(false),
      /** Boards of the Enterprise's own workspace. */
      boards: z.array(board).default([]),
      workspaces: z
        .array(
          z.strictObject({ name, plan: z.enum(WORKSPACE_PLANS).default('free'), inEnterprise: z.boolean().default(false), boards: z.array(board).default([]) }),
        )
        .default([]),
      licenses: z.array(email).default([]),
    })
    .optional(),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioPolicy = z.output<typeof policy>;
export type AccountEntry = z.output<typeof account>;

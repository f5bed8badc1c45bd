import { z } from 'zod';
import { PASSWORD_STRENGTHS } from '../accounts/password.ts';
import { route, type RouteSpec } from '../api/route.ts';
import { email, emailList, pageQuery } from '../api/schemas.ts';
import { parseInput, plainText } from '@rehearsal/runtime';
import { emailsFromCsv, type PolicyService } from './policy-service.ts';
import { MEMBER_BATCH_MAX, MEMBER_CSV_MAX, SSO_MODES, TWO_STEP_MODES } from './policy.ts';

/** Range rules live in checkPolicy (with their own reason codes); the schema checks types. */
const settings = {
  name: plainText(255),
  sso: z.enum(SSO_MODES),
  twoStep: z.enum(TWO_STEP_MODES),
  passwordMinStrength: z.enum(PASSWORD_STRENGTHS).nullable(),
  passwordExpiryDays: z.number().int().nullable(),
  idleMinutes: z.number().int(),
  sessionExpiryMinutes: z.number().int().nullable(),
  billable: z.boolean(),
};
const settingsPatch = z.strictObject(settings).partial();

export function policyRoutes(policies: PolicyService): RouteSpec[] {
  return [
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/policies',
      tag: 'policies',
      audience: 'admin',
      summary: 'List authentication policies',
      handle: ({ params }) => policies.list(params.orgId!),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/policies',
      tag: 'policies',
      audience: 'admin',
      status: 201,
      summary: 'Create an authentication policy (in the local directory unless directoryId is given)',
      body: settingsPatch.extend({ name: settings.name, directoryId: z.string().min(1).optional() }),
      handle: ({ params, body }) => policies.create(params.orgId!, body),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/policies/{policyId}',
      tag: 'policies',
      audience: 'admin',
      summary: 'Get a policy',
      handle: ({ params }) => policies.get(params.orgId!, params.policyId!),
    }),
    route({
      method: 'patch',
      path: '/api/orgs/{orgId}/policies/{policyId}',
      tag: 'policies',
      audience: 'admin',
      summary: "Change a policy's settings (effective at each member's next login)",
      body: settingsPatch,
      handle: ({ params, body }) => policies.update(params.orgId!, params.policyId!, body),
    }),
    route({
      method: 'delete',
      path: '/api/orgs/{orgId}/policies/{policyId}',
      tag: 'policies',
      audience: 'admin',
      summary: "Delete a policy; its members move to the directory's default",
      handle: ({ params }) => policies.delete(params.orgId!, params.policyId!),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/policies/{policyId}/default',
      tag: 'policies',
      audience: 'admin',
      summary: 'Make a policy the default of its directory',
      handle: ({ params }) => policies.makeDefault(params.orgId!, params.policyId!),
    }),
    route({
      method: 'get',
      path: '/api/orgs/{orgId}/policies/{policyId}/members',
      tag: 'policies',
      audience: 'admin',
      query: pageQuery,
      summary: 'List the members of a policy',
      handle: ({ params, query }) => policies.members(params.orgId!, params.policyId!, query),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/policies/{policyId}/members',
      tag: 'policies',
      audience: 'admin',
      summary: `Move up to ${MEMBER_BATCH_MAX} managed accounts into the policy`,
      body: z.strictObject({ emails: emailList(MEMBER_BATCH_MAX) }),
      handle: ({ params, body }) => policies.addMembers(params.orgId!, params.policyId!, body.emails),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/policies/{policyId}/members/csv',
      tag: 'policies',
      audience: 'admin',
      bodyFormat: 'csv',
      summary: `Move up to ${MEMBER_CSV_MAX.toLocaleString('en')} managed accounts into the policy from a CSV of emails`,
      body: z.string({ error: 'expected a text/csv body' }),
      handle: ({ params, body }) => {
        const lines = emailsFromCsv(body, MEMBER_CSV_MAX);
        return policies.addMembers(params.orgId!, params.policyId!, parseInput(z.array(email), lines, 'csv'));
      },
    }),
    route({
      method: 'delete',
      path: '/api/orgs/{orgId}/policies/{policyId}/members/{accountId}',
      tag: 'policies',
      audience: 'admin',
      summary: "Take a member out of the policy, back to its directory's default",
      handle: ({ params }) => policies.removeMember(params.orgId!, params.policyId!, params.accountId!),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/policies/{policyId}/preview',
      tag: 'rollout',
      audience: 'admin',
      summary: 'Preview a rollout: next login or lock-out reason for every affected account, and the billing delta; writes nothing',
      body: z.strictObject({ addMembers: emailList(MEMBER_CSV_MAX).optional(), settings: settingsPatch.optional() }),
      handle: ({ params, body }) => policies.preview(params.orgId!, params.policyId!, body),
    }),
    route({
      method: 'post',
      path: '/api/orgs/{orgId}/policies/{policyId}/rollout',
      tag: 'rollout',
      audience: 'admin',
      summary:
        'Apply a rollout (settings and members) as previewed, atomically, only when nobody is locked out, nobody is refused and some admin keeps a way in; 409 rollout-blocked otherwise',
      body: z.strictObject({ addMembers: emailList(MEMBER_CSV_MAX).optional(), settings: settingsPatch.optional() }),
      handle: ({ params, body }) => policies.rollout(params.orgId!, params.policyId!, body),
    }),
  ];
}

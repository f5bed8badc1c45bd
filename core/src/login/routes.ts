import { z } from 'zod';
import { plainText } from '@rehearsal/runtime';
import { route, type RouteSpec } from '../api/route.ts';
import { email } from '../api/schemas.ts';
import type { LoginService } from './login-service.ts';

/** An email and a password as the gateway passes them on (checked, or set). */
const credentials = z.strictObject({ email, password: z.string().max(1000) });

const attributeValues = z.array(z.string().max(2048)).max(100);
const completeInput = z.discriminatedUnion('method', [
  z.strictObject({
    method: z.literal('sso'),
    connectionId: z.string().min(1).max(64),
    nameId: z.string().min(1).max(320),
    attributes: z
      .record(z.string().max(512), attributeValues)
      .refine((a) => Object.keys(a).length <= 200, 'at most 200 attributes')
      .default({}),
    sessionIndex: z.string().max(256).optional(),
  }),
  z.strictObject({
    method: z.literal('password'),
    email,
    twoStep: z.strictObject({ code: z.string().max(32), secret: z.string().max(128).optional() }).optional(),
  }),
]);

export function loginRoutes(login: LoginService): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/api/login/start',
      tag: 'login',
      audience: 'gateway',
      summary: "Start a login: core's decision and, when the path can be SSO, the connection the AuthnRequest goes to",
      body: z.strictObject({ email }),
      handle: ({ body }) => login.start(body.email),
    }),
    route({
      method: 'post',
      path: '/api/login/complete',
      tag: 'login',
      audience: 'gateway',
      summary:
        "Complete a login from a validated assertion's facts, or a checked password with its second factor: core re-decides, records, syncs the names and answers the session",
      body: completeInput,
      handle: ({ body }) => login.complete(body),
    }),
    route({
      method: 'post',
      path: '/api/login/decision',
      tag: 'login',
      audience: 'gateway',
      summary: 'How must this email log in: method, policy, IdP, 2SV, session limits and a reason code',
      body: z.strictObject({ email }),
      handle: ({ body }) => login.decide(body.email),
    }),
    route({
      method: 'get',
      path: '/api/login/connections/:connectionId',
      tag: 'login',
      audience: 'gateway',
      summary: 'A SAML connection with its IdP certificate and the SP entity ID and ACS URL shown to the admin',
      handle: ({ params }) => login.connection(params.connectionId!),
    }),
    route({
      method: 'get',
      path: '/api/login/service-providers/:connectionId',
      tag: 'login',
      audience: 'gateway',
      summary: 'The SP side of a connection (or of the one an IdP directory will have): what the SP metadata shows',
      handle: ({ params }) => login.serviceProvider(params.connectionId!),
    }),
    route({
      method: 'post',
      path: '/api/login/password',
      tag: 'login',
      audience: 'gateway',
      summary: 'Check a password',
      body: credentials,
      handle: ({ body }) => login.checkPassword(body.email, body.password),
    }),
    route({
      method: 'post',
      path: '/api/login/password/change',
      tag: 'login',
      audience: 'gateway',
      summary: "Set a new password at login (first one, or an expired one): the policy's strength rule applies",
      body: credentials,
      handle: ({ body }) => login.changePassword(body.email, body.password),
    }),
    route({
      method: 'post',
      path: '/api/login/two-step/enrol',
      tag: 'login',
      audience: 'gateway',
      summary: 'Confirm two-step enrolment with a first code; returns recovery codes once',
      body: z.strictObject({ email, secret: z.string().max(128), code: z.string().max(32) }),
      handle: ({ body }) => login.enrolTwoStep(body.email, body.secret, body.code),
    }),
    route({
      method: 'post',
      path: '/api/login/two-step/verify',
      tag: 'login',
      audience: 'gateway',
      summary: 'Check a TOTP code (never twice) or spend a recovery code',
      body: z.strictObject({ email, code: z.string().max(32) }),
      handle: ({ body }) => login.verifyTwoStep(body.email, body.code),
    }),
    route({
      method: 'post',
      path: '/api/login/record',
      tag: 'login',
      audience: 'gateway',
      summary:
        "Record a completed login (first and last login); a SAML login names its connection and the names it carried, and the connection's rule sets the display name",
      body: z.strictObject({
        email,
        method: z.enum(['sso', 'password']),
        displayName: plainText(256).optional(),
        connectionId: z.string().min(1).max(64).optional(),
        givenName: plainText(256).optional(),
        surname: plainText(256).optional(),
      }),
      handle: ({ body }) =>
        login.record(body.email, body.method, {
          displayName: body.displayName,
          connectionId: body.connectionId,
          givenName: body.givenName,
          surname: body.surname,
        }),
    }),
  ];
}

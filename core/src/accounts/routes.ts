import { z } from 'zod';
import { route, type RouteSpec } from '../api/route.ts';
import { email, profileFields } from '../api/schemas.ts';
import type { AccountService } from './account-service.ts';
import { ACCOUNT_ORIGINS } from './account.ts';

const newAccount = z.strictObject({
  email,
  ...profileFields,
  password: z.string().optional(),
  origin: z.enum(ACCOUNT_ORIGINS).optional(),
  active: z.boolean().optional(),
});

export function accountRoutes(accounts: AccountService): RouteSpec[] {
  return [
    route({
      method: 'post',
      path: '/api/accounts',
      tag: 'accounts',
      audience: 'admin',
      status: 201,
      summary: 'Create an account; an email on a verified domain is claimed at once',
      body: newAccount,
      handle: ({ body }) => accounts.create(body),
    }),
    route({
      method: 'post',
      path: '/api/accounts/batch',
      tag: 'accounts',
      audience: 'admin',
      status: 201,
      summary: 'Create up to 10,000 accounts atomically',
      body: z.strictObject({ accounts: z.array(newAccount).min(1).max(10_000) }),
      handle: ({ body }) => accounts.createMany(body.accounts),
    }),
    route({
      method: 'get',
      path: '/api/accounts',
      tag: 'accounts',
      audience: 'admin',
      summary: 'Find an account by email',
      query: z.strictObject({ email }),
      handle: ({ query }) => accounts.findByEmail(query.email),
    }),
    route({
      method: 'get',
      path: '/api/accounts/{accountId}',
      tag: 'accounts',
      audience: 'admin',
      summary: 'Get an account',
      handle: ({ params }) => accounts.get(params.accountId!),
    }),
    route({
      method: 'patch',
      path: '/api/accounts/{accountId}',
      tag: 'accounts',
      audience: 'admin',
      summary: "Edit an account as an admin (a managed account's email stays on verified domains)",
      body: z.strictObject({ email: email.optional(), ...profileFields }),
      handle: ({ params, body }) => accounts.update(params.accountId!, body),
    }),
    route({
      method: 'delete',
      path: '/api/accounts/{accountId}',
      tag: 'accounts',
      audience: 'admin',
      status: 204,
      summary: 'Delete an account as an admin',
      handle: ({ params }) => accounts.delete(params.accountId!),
    }),
    route({
      method: 'put',
      path: '/api/accounts/{accountId}/password',
      tag: 'accounts',
      audience: 'admin',
      summary: "Set a password (8-100 characters, and the policy's minimum strength)",
      body: z.strictObject({ password: z.string() }),
      handle: ({ params, body }) => accounts.setPassword(params.accountId!, body.password),
    }),
    route({
      method: 'post',
      path: '/api/accounts/{accountId}/deactivate',
      tag: 'accounts',
      audience: 'admin',
      summary: 'Deactivate an account (and its Trello account)',
      handle: ({ params }) => accounts.setActive(params.accountId!, false),
    }),
    route({
      method: 'post',
      path: '/api/accounts/{accountId}/activate',
      tag: 'accounts',
      audience: 'admin',
      summary: 'Reactivate an account (and its Trello account)',
      handle: ({ params }) => accounts.setActive(params.accountId!, true),
    }),
    route({
      method: 'delete',
      path: '/api/accounts/{accountId}/two-step',
      tag: 'accounts',
      audience: 'admin',
      summary: 'Reset two-step verification so the user enrols again',
      handle: ({ params }) => accounts.resetTwoStep(params.accountId!),
    }),
    route({
      method: 'post',
      path: '/api/accounts/{accountId}/self-service/delete',
      tag: 'accounts',
      audience: 'admin',
      status: 204,
      summary: 'The user deletes their own account (refused for managed accounts)',
      handle: ({ params }) => accounts.selfDelete(params.accountId!),
    }),
    route({
      method: 'post',
      path: '/api/accounts/{accountId}/self-service/email',
      tag: 'accounts',
      audience: 'admin',
      summary: 'The user changes their own email (refused for managed accounts)',
      body: z.strictObject({ email }),
      handle: ({ params, body }) => accounts.selfChangeEmail(params.accountId!, body.email),
    }),
  ];
}

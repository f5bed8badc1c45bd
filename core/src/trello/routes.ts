import { z } from 'zod';
import { plainText } from '@rehearsal/runtime';
import { route, type RouteSpec } from '../api/route.ts';
import { email, emailList } from '../api/schemas.ts';
import { BOARD_VISIBILITIES, WORKSPACE_PLANS } from './trello.ts';
import type { TrelloService } from './trello-service.ts';

const name = plainText(255);

export function trelloRoutes(trello: TrelloService): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/api/trello/enterprises', tag: 'trello', audience: 'admin', status: 201,
      summary: 'Create a Trello Enterprise with its admins', body: z.strictObject({ name, admins: emailList(20) }),
      handle: ({ body }) => trello.createEnterprise(body.name, body.admins),
    }),
    route({ method: 'get', path: '/api/trello/enterprises/{enterpriseId}', tag: 'trello', audience: 'admin', summary: 'Get a Trello Enterprise', handle: ({ params }) => trello.getEnterprise(params.enterpriseId!) }),
    route({
      method: 'post', path: '/api/trello/enterprises/{enterpriseId}/link', tag: 'trello', audience: 'admin',
      summary: 'Link the enterprise to an organization (the actor must administer both)',
      body: z.strictObject({ orgId: z.string().min(1), actorEmail: email }),
      handle: ({ params, body }) => trello.link(params.enterpriseId!, body.orgId, body.actorEmail),
    }),
    route({
      method: 'get', path: '/api/trello/enterprises/{enterpriseId}/members', tag: 'trello', audience: 'admin',
      summary: 'Members with managed status and seat use, each with a reason', handle: ({ params }) => trello.members(params.enterpriseId!),
    }),
    route({
      method: 'post', path: '/api/trello/enterprises/{enterpriseId}/licenses', tag: 'trello', audience: 'admin',
      summary: 'Give Enterprise licenses', body: z.strictObject({ emails: emailList(10_000) }),
      handle: ({ params, body }) => trello.license(params.enterpriseId!, body.emails),
    }),
    route({
      method: 'delete', path: '/api/trello/enterprises/{enterpriseId}/licenses/{accountId}', tag: 'trello', audience: 'admin', status: 204,
      summary: 'Take an Enterprise license back', handle: ({ params }) => trello.unlicense(params.enterpriseId!, params.accountId!),
    }),
    route({
      method: 'get', path: '/api/trello/enterprises/{enterpriseId}/boards/{accountId}', tag: 'trello', audience: 'admin',
      summary: 'Boards an account can open in the enterprise, with why', handle: ({ params }) => trello.visibleBoards(params.enterpriseId!, params.accountId!),
    }),
    route({
      method: 'post', path: '/api/trello/accounts', tag: 'trello', audience: 'admin', status: 201,
      summary: 'Create a Trello account (and the Atlassian account when there is none)', body: z.strictObject({ email }),
      handle: ({ body }) => trello.createAccount(body.email),
    }),
    route({
      method: 'post', path: '/api/trello/accounts/batch', tag: 'trello', audience: 'admin', status: 201,
      summary: 'Create up to 10,000 Trello accounts atomically', body: z.strictObject({ emails: emailList(10_000) }),
      handle: ({ body }) => trello.createAccounts(body.emails),
    }),
    route({
      method: 'post', path: '/api/trello/accounts/{accountId}/deactivate', tag: 'trello', audience: 'admin',
      summary: 'Deactivate the Trello account only', handle: ({ params }) => trello.setTrelloActive(params.accountId!, false),
    }),
    route({
      method: 'post', path: '/api/trello/accounts/{accountId}/activate', tag: 'trello', audience: 'admin',
      summary: 'Reactivate the Trello account', handle: ({ params }) => trello.setTrelloActive(params.accountId!, true),
    }),
    route({
      method: 'post', path: '/api/trello/workspaces', tag: 'trello', audience: 'admin', status: 201,
      summary: 'Create a workspace (plan enterprise exactly when it belongs to an enterprise)',
      body: z.strictObject({ name, plan: z.enum(WORKSPACE_PLANS), enterpriseId: z.string().min(1).optional() }),
      handle: ({ body }) => trello.createWorkspace(body),
    }),
    route({
      method: 'post', path: '/api/trello/workspaces/{workspaceId}/members', tag: 'trello', audience: 'admin',
      summary: 'Add Trello accounts to a workspace', body: z.strictObject({ emails: emailList(10_000) }),
      handle: ({ params, body }) => trello.addWorkspaceMembers(params.workspaceId!, body.emails),
    }),
    route({
      method: 'delete', path: '/api/trello/workspaces/{workspaceId}/members/{accountId}', tag: 'trello', audience: 'admin', status: 204,
      summary: 'Remove a member from a workspace', handle: ({ params }) => trello.removeWorkspaceMember(params.workspaceId!, params.accountId!),
    }),
    route({
      method: 'post', path: '/api/trello/workspaces/{workspaceId}/boards', tag: 'trello', audience: 'admin', status: 201,
      summary: 'Create a board', body: z.strictObject({ name, visibility: z.enum(BOARD_VISIBILITIES) }),
      handle: ({ params, body }) => trello.createBoard(params.workspaceId!, body),
    }),
  ];
}

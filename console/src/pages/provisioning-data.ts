import type { Request } from 'express';
import { productEffects, textOf, type ProductOverwrite, type ProvisioningCycle, type ProvisioningPlan } from '@rehearsal/runtime/client';
import type { Services } from '../services.ts';
import { orgPath } from '../web/render.ts';

export interface Target {
  id: string;
  name?: string;
  baseUrl: string;
  profile: string;
  provisioned: { users: number; groups: number };
  quarantine: { reason?: string } | null;
}

export type Cycle = ProvisioningCycle & { startedAt: string; finishedAt?: string };

/** The SCIM directory a target provisions, read off its base URL (`.../scim/directory/{id}`). */
export const directoryOf = (target: Target) => /\/scim\/directory\/([^/?#]+)/.exec(target.baseUrl)?.[1];

/** The mock IdP's targets that provision this organization's directories. */
export async function targetsOf(services: Services, req: Request): Promise<Target[]> {
  const [directories, { targets }] = await Promise.all([
    services.core.call<{ id: string }[]>('GET', orgPath(req, '/directories')),
    services.idp.call<{ targets: Target[] }>('GET', '/api/provisioning/targets'),
  ]);
  const ours = new Set(directories.map((d) => d.id));
  return targets.filter((t) => ours.has(directoryOf(t) ?? ''));
}

export const targetPath = (target: Target, rest = '') => `/api/provisioning/targets/${encodeURIComponent(target.id)}${rest}`;

/** Users shown per page of the plan's diff (each with its attributes). */
export const PLAN_PAGE = 100;

export interface PlanPage {
  plan: ProvisioningPlan & { users: (ProvisioningPlan['users'][number] & { attributes: { lastProvisioned?: unknown }[] })[] };
  /** The users that change, this page of them. */
  users: ProvisioningPlan['users'];
  changing: number;
  /** Product values the IdP's replace, for this page's users: who wrote each. */
  overwrites: ProductOverwrite[];
}

/** The next cycle's plan, and what it does to product accounts for one page of its users. */
export async function planPage(services: Services, req: Request, target: Target, page: number): Promise<PlanPage> {
  const plan = await services.idp.call<PlanPage['plan']>('POST', targetPath(target, '/plan'), { kind: 'incremental' });
  const changing = plan.users.filter((u) => u.operation !== 'none');
  const users = changing.slice((page - 1) * PLAN_PAGE, page * PLAN_PAGE);
  const effects = await productEffects({ users }, services.core, String(req.params.orgId), directoryOf(target));
  return { plan, users, changing: changing.length, overwrites: effects.overwrites };
}

/** Where the product's value came from, in words, for one planned attribute. */
export function sourceOf(
  attribute: { path: string; current?: unknown; lastProvisioned?: unknown; change: string },
  overwrite: ProductOverwrite | undefined,
): string {
  if (overwrite) return `written by ${overwrite.writtenBy ?? 'someone unknown'}`;
  if (attribute.current === undefined) return '-';
  if (attribute.lastProvisioned === undefined) return 'not sent by this IdP before';
  return textOf(attribute.lastProvisioned) === textOf(attribute.current) ? 'sent by this IdP last time' : 'edited in the product since the IdP sent it';
}

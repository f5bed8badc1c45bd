import type { Request, Response } from 'express';
import type { ClockState } from '@rehearsal/runtime/client';
import type { ConsoleSession } from '../auth/console-sessions.ts';
import type { Services } from '../services.ts';
import { html, type Printable } from './html.ts';
import { page, type Frame } from './layout.ts';

export interface Organization {
  id: string;
  name: string;
  plan: string;
  subscription: string;
  guard: string;
}

/** What every page handler has: the services, and the signed-in session of this request. */
export interface PageContext {
  services: Services;
}

export const sessionOf = (res: Response) => res.locals.session as ConsoleSession;

/** The hidden field every form of the console carries: without it, a POST changes nothing. */
export const csrfField = (res: Response) => html`<input type="hidden" name="csrf" value="${sessionOf(res).csrf}" />`;

/** A posted form's fields (the console takes forms only). */
export const formOf = (req: Request): Record<string, unknown> => (req.body ?? {}) as Record<string, unknown>;

/** The organization a page is about (`/orgs/:orgId/...`): core answers 404 for an unknown id, shown as such. */
export const orgOf = (ctx: PageContext, req: Request) =>
  ctx.services.core.call<Organization>('GET', `/api/orgs/${encodeURIComponent(String(req.params.orgId))}`);

/** Core's path for the organization of this page. */
export const orgPath = (req: Request, rest = '') => `/api/orgs/${encodeURIComponent(String(req.params.orgId))}${rest}`;

/** Sends a page in the console's frame: the stack's clock in the header, the organization's navigation. */
export async function send(
  ctx: PageContext,
  res: Response,
  frame: Omit<Frame, 'csrf' | 'clock' | 'org'> & { org?: Organization },
  content: Printable,
  status = 200,
): Promise<void> {
  const clock = await ctx.services.core.call<ClockState>('GET', '/_rehearsal/clock').catch(() => undefined);
  const org = frame.org ? { id: frame.org.id, name: frame.org.name } : undefined;
  res
    .status(status)
    .type('html')
    .send(page({ ...frame, csrf: sessionOf(res).csrf, ...(clock ? { clock } : {}), ...(org ? { org } : {}) }, content).text);
}

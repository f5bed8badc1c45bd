import { IDP_REASONS } from './reasons.ts';
import type { Request, RequestHandler, Response } from 'express';
import { type ControllableClock, type Logger, type Web } from '@rehearsal/runtime';
import type { Directory } from './directory/directory.ts';
import type { FaultRules } from './faults/fault-rules.ts';
import type { Ledger } from './ledger/ledger.ts';
import { autoPostForm } from './login/pages.ts';
import type { ProvisioningService } from './provisioning/provisioning-service.ts';
import type { IncomingMessage, SamlDelivery, SsoService } from './saml/sso-service.ts';
import type { ServiceProviderRegistry } from './service-providers/registry.ts';

export const SESSION_COOKIE = 'rehearsal_idp_session';

/** What the mock IdP's routers share, made once by `createIdpApp`; each router takes the part it needs. */
export interface IdpContext {
  publicUrl: string;
  entityId: string;
  clock: ControllableClock;
  logger: Logger;
  web: Web;
  directory: Directory;
  providers: ServiceProviderRegistry;
  faults: FaultRules;
  ledger: Ledger;
  provisioning: ProvisioningService;
  sso: SsoService;
  parsers: { form: RequestHandler; body: RequestHandler };
}

/** A SAML message for the browser to carry to the SP: an auto-posting form. */
export const sendDelivery = (res: Response, delivery: SamlDelivery) => res.type('html').send(autoPostForm(delivery));

/** The HTTP-Redirect binding's message (a request, or with `SAMLResponse` a response); the raw query is kept because its signature covers the bytes as sent. */
export function redirectMessage(req: Request, endpoint: 'SSO' | 'SLO', parameter: 'SAMLRequest' | 'SAMLResponse' = 'SAMLRequest'): IncomingMessage {
  const query = req.query as Record<string, string | undefined>;
  const message = query[parameter];
  if (!message) throw IDP_REASONS.error('saml-request-missing', `No ${parameter} in the query: this is the HTTP-Redirect ${endpoint} endpoint.`);
  const rawQuery = req.originalUrl.slice(req.originalUrl.indexOf('?') + 1);
  return { binding: 'redirect', samlRequest: message, relayState: query.RelayState, rawQuery };
}

/** The HTTP-POST binding's message. */
export function postMessage(req: Request, endpoint: 'SSO' | 'SLO', parameter: 'SAMLRequest' | 'SAMLResponse' = 'SAMLRequest'): IncomingMessage {
  const fields = (req.body ?? {}) as Record<string, string | undefined>;
  const message = fields[parameter];
  if (!message) throw IDP_REASONS.error('saml-request-missing', `No ${parameter} in the form: this is the HTTP-POST ${endpoint} endpoint.`);
  return { binding: 'post', samlRequest: message, relayState: fields.RelayState };
}

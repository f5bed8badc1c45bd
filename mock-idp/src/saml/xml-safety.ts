import { badRequest } from '../reasons.ts';

/** Largest SAML message accepted, base64 or inflated (AuthnRequests are a few KiB). */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/**
 * A DOCTYPE has no place in SAML and is how XXE and entity-expansion attacks
 * start: refuse any, before a parser sees the text.
 */
export function refuseDoctype(xml: string, what: string): void {
  if (/<!DOCTYPE/i.test(xml) || /<!ENTITY/i.test(xml)) throw badRequest('xml-doctype', `The ${what} contains a DOCTYPE, which SAML does not allow.`);
}

import type { GatewayReason } from '../reasons.ts';

/**
 * node-saml throws plain `Error`s: it offers no types to tell them apart, so
 * each message it can throw while validating a response is mapped here, in one
 * explicit table, to the gateway's reason code. A message not in the table is
 * `saml-response-invalid`, with the library's words.
 */
const NODE_SAML_MESSAGES: readonly [prefix: string, code: GatewayReason][] = [
  ['Invalid signature', 'saml-signature-invalid'],
  ['Invalid document signature', 'saml-signature-invalid'],
  ['Invalid query signature', 'saml-signature-invalid'],
  ['Too many signatures found for this element', 'saml-signature-invalid'],
  ['Only 1 signed references should be present in signature', 'saml-signature-invalid'],
  ['Cannot obtain assertion from signed data', 'saml-signature-invalid'],
  ['ref URI included quote character', 'saml-signature-invalid'],
  ['InResponseTo is not valid', 'saml-in-response-to-unknown'],
  ['InResponseTo is missing from response', 'saml-in-response-to-unknown'],
  ['InResponseTo does not match subjectInResponseTo', 'saml-in-response-to-unknown'],
  ['SubjectInResponseTo is not valid', 'saml-in-response-to-unknown'],
  ['SAML assertion audience mismatch', 'saml-audience-mismatch'],
  ['SAML assertion has no AudienceRestriction', 'saml-audience-mismatch'],
  ['SAML assertion AudienceRestriction has no Audience value', 'saml-audience-mismatch'],
  ['Unknown SAML issuer', 'saml-issuer-mismatch'],
  ['Missing SAML issuer', 'saml-issuer-mismatch'],
];

export function samlErrorOf(err: unknown): { code: GatewayReason; message: string } {
  const message = err instanceof Error ? err.message : 'the response did not validate';
  const known = NODE_SAML_MESSAGES.find(([prefix]) => message.startsWith(prefix));
  return { code: known?.[1] ?? 'saml-response-invalid', message };
}

import { reasons } from '@rehearsal/runtime';

/**
 * The gateway's reason codes: every refusal it makes itself, with its status.
 * Refusals core decides (the login decision's and completion's reasons, a
 * product's answer) pass through with core's code and status.
 */
export const GATEWAY_REASONS = reasons({
  // the login steps
  'csrf-token-invalid': { status: 403, sentence: 'The form expired or came from another site: open the page again.' },
  'relay-state-not-relative': { status: 400, sentence: 'RelayState must be a path on this gateway, never another host.' },
  'email-invalid': { status: 400, sentence: 'Core could not read the email address.' },
  'password-invalid': { status: 401, sentence: 'Wrong email or password (the same answer for an unknown email).' },
  'account-deactivated': { status: 403, sentence: 'The account is deactivated: an admin of its organization can reactivate it.' },
  'sso-required': { status: 403, sentence: "The account's policy enforces SSO: a password cannot be used." },
  'too-many-attempts': { status: 429, sentence: 'Too many wrong passwords or codes for this account: wait for Retry-After.' },
  'login-step-expired': { status: 401, sentence: 'This login step expired or was never started: start again from the login page.' },
  'two-step-enrolled': { status: 409, sentence: 'The account is enrolled in two-step verification already: log in again to use it.' },
  'two-step-code-invalid': { status: 401, sentence: 'Wrong code: try the code your app shows now.' },
  'two-step-code-reused': { status: 401, sentence: 'That code was used already: wait for the next one.' },
  // sessions: why someone is back at the login page (and a product request's 401)
  'idle-timeout': { status: 401, sentence: 'You were away longer than your organization allows: log in again.' },
  'session-expired': { status: 401, sentence: 'Your session reached the longest time your organization allows: log in again.' },
  'session-unknown': { status: 401, sentence: 'Your session ended: log in again.' },
  'login-required': { status: 401, sentence: 'Log in to continue.' },
  'no-product-access': { status: 403, sentence: 'The login has no account in core, or core grants it no access to the product.' },
  // SAML: the connection and the response
  'connection-unknown': { status: [404, 400], sentence: 'The URL names no SAML connection core knows: the login link is out of date.' },
  'saml-response-missing': { status: 400, sentence: 'No SAMLResponse was posted to the ACS.' },
  'saml-response-malformed': { status: 400, sentence: 'The SAMLResponse is not base64, not well-formed XML, or not a samlp:Response.' },
  'saml-doctype': { status: 400, sentence: 'The SAMLResponse carries a DOCTYPE, which SAML forbids (entity expansion, XXE).' },
  'saml-response-too-large': { status: 413, sentence: 'The SAMLResponse is larger than the ACS accepts (256 KiB encoded, 192 KiB of XML).' },
  'saml-status-not-success': { status: 401, sentence: 'The IdP answered with an error status instead of an assertion.' },
  'saml-assertion-encrypted': { status: 401, sentence: 'The assertion is encrypted; this connection expects plain, signed assertions.' },
  'saml-assertion-missing': { status: 401, sentence: 'The response holds no assertion.' },
  'saml-assertion-count': { status: 401, sentence: 'The response holds more than one assertion, or one outside its place (a wrapping attack).' },
  'saml-duplicate-id': { status: 401, sentence: 'Two elements carry the same ID (how a wrapped copy gets picked).' },
  'saml-signature-algorithm': { status: 401, sentence: 'A signature or digest algorithm outside rsa-sha256/512 and sha256/512.' },
  'saml-signature-invalid': { status: 401, sentence: "A signature does not verify with the connection's certificate, or covers the wrong element." },
  'saml-assertion-unsigned': { status: 401, sentence: 'The assertion itself is not signed by the IdP.' },
  'saml-destination-missing': { status: 401, sentence: 'The response names no Destination.' },
  'saml-destination-mismatch': { status: 401, sentence: "The response's Destination is not this ACS." },
  'saml-issuer-missing': { status: 401, sentence: 'The assertion names no Issuer.' },
  'saml-issuer-mismatch': { status: 401, sentence: "The response comes from another IdP than the connection's." },
  'saml-audience-missing': { status: 401, sentence: 'The assertion has no AudienceRestriction.' },
  'saml-audience-mismatch': { status: 401, sentence: "The assertion is for another service provider than this connection's." },
  'saml-subject-confirmation-missing': { status: 401, sentence: 'The assertion has no bearer SubjectConfirmationData.' },
  'saml-recipient-mismatch': { status: 401, sentence: "The assertion's Recipient is not this ACS." },
  'saml-assertion-not-yet-valid': { status: 401, sentence: "The assertion's NotBefore is later than now (beyond three minutes of clock skew)." },
  'saml-assertion-expired': { status: 401, sentence: 'The assertion expired (or has no NotOnOrAfter, so it would never expire).' },
  'saml-in-response-to-mismatch': { status: 401, sentence: 'The Response and its assertion answer different requests.' },
  'saml-in-response-to-unknown': { status: 401, sentence: 'The response answers no AuthnRequest this gateway is waiting for (expired, used, or never sent).' },
  'saml-response-other-browser': {
    status: 401,
    sentence: 'The response answers a login started in another browser (a response is taken only where its AuthnRequest was sent from).',
  },
  'saml-unsolicited-response': { status: 401, sentence: 'An IdP-initiated response to a connection that does not accept them.' },
  'saml-name-id-missing': { status: 401, sentence: 'The assertion has no NameID, or an empty one.' },
  'saml-name-id-malformed': { status: 401, sentence: 'The NameID holds markup or comments.' },
  'saml-assertion-replayed': { status: 401, sentence: 'This assertion was used already: each is good once, until it expires.' },
  'saml-response-invalid': { status: 401, sentence: 'The response did not validate for another reason, given in the message.' },
  // single logout
  'slo-message-missing': { status: 400, sentence: 'No SAMLRequest or SAMLResponse at the logout endpoint.' },
  'slo-request-unsigned': { status: 401, sentence: "The IdP's LogoutRequest is not signed (SAML requires it on the front-channel bindings)." },
  'slo-request-invalid': { status: 401, sentence: "The IdP's LogoutRequest does not verify with the connection's certificate, or is not for this gateway." },
  'slo-response-unsigned': { status: 401, sentence: 'The LogoutResponse is not signed.' },
  'slo-response-invalid': { status: 401, sentence: "The IdP's LogoutResponse does not verify or does not answer our request." },
  // the gateway itself
  'admin-key-invalid': { status: 401, sentence: 'The call needs the gateway admin key as a bearer token.' },
  'core-unavailable': { status: 503, sentence: 'The gateway cannot reach core right now.' },
  'internal-error': { status: 500, sentence: 'Something unexpected failed in the gateway: its log has the details.' },
});

export type GatewayReason = keyof typeof GATEWAY_REASONS.table;

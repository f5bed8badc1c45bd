import { reasons, refusals } from '@rehearsal/runtime';

/** The mock IdP's reason codes: every refusal of its SAML endpoints, login pages and APIs, with its status. */
export const IDP_REASONS = reasons({
  // SAML messages received
  'saml-request-missing': { status: 400, sentence: 'No SAMLRequest in the query (HTTP-Redirect) or the form (HTTP-POST).' },
  'invalid-encoding': { status: 400, sentence: 'The SAML message is not base64 (or not DEFLATE on the Redirect binding).' },
  'invalid-xml': { status: 400, sentence: 'The SAML message is not well-formed XML.' },
  'xml-doctype': { status: 400, sentence: 'The SAML message contains a DOCTYPE, which SAML does not allow.' },
  'message-too-large': { status: 413, sentence: 'The SAML message is larger than the IdP reads.' },
  'unsupported-signature-algorithm': { status: 400, sentence: 'The request is signed with an algorithm other than rsa-sha256 or rsa-sha512.' },
  'sp-certificate-missing': { status: 400, sentence: 'The request is signed, but the service provider has no certificate registered to check it.' },
  'request-unsigned': { status: 403, sentence: 'The service provider is registered as signing its requests, and this one is not signed.' },
  'request-signature-invalid': { status: 403, sentence: "The request's signature does not verify with the service provider's certificate." },
  'sp-not-registered': { status: [403, 400, 404], sentence: 'No service provider with this entity ID is registered.' },
  'acs-not-registered': { status: 403, sentence: 'The AssertionConsumerServiceURL is not one the service provider registered.' },
  'invalid-name-id-policy': { status: 400, sentence: "The NameIDPolicy asks for a format the service provider's registration does not allow." },
  'relay-state-too-long': { status: 400, sentence: 'RelayState is longer than 80 bytes, the limit SAML sets.' },
  'not-an-authn-request': { status: 400, sentence: 'The SAMLRequest at the SSO endpoint is not a samlp:AuthnRequest.' },
  'invalid-authn-request': { status: 400, sentence: 'The AuthnRequest has no ID, no Issuer, or is not SAML 2.0.' },
  'not-a-logout-request': { status: 400, sentence: 'The SAMLRequest at the SLO endpoint is not a samlp:LogoutRequest.' },
  'invalid-logout-request': { status: 400, sentence: 'The LogoutRequest has no ID, no Issuer, or is not SAML 2.0.' },
  'not-a-logout-response': { status: 400, sentence: 'The SAMLResponse at the SLO endpoint is not a samlp:LogoutResponse.' },
  'invalid-logout-response': { status: 400, sentence: 'The LogoutResponse has no ID, no Issuer, or is not SAML 2.0.' },
  'logout-not-found': { status: 404, sentence: 'No logout is waiting for this LogoutResponse (it answered already, expired, or was never asked).' },
  'state-unavailable': { status: 503, sentence: "The IdP's shared state (Redis) does not answer: try again once it is back." },
  'csrf-token-invalid': { status: 403, sentence: 'The form expired or came from another site.' },
  'session-not-found': { status: 404, sentence: 'No live IdP session matches: nobody to log out.' },
  'slo-url-missing': { status: 400, sentence: 'The service provider registered no SLO URL, so its LogoutRequest cannot be answered.' },
  'idp-initiated-disabled': { status: 403, sentence: 'The service provider does not accept IdP-initiated logins.' },
  'sp-missing': { status: 400, sentence: 'Name the service provider: ?sp=<entity ID>.' },
  'sp-mismatch': { status: 400, sentence: 'The AuthnRequest comes from another service provider than the one named.' },
  // logins
  'login-not-found': { status: 404, sentence: 'No pending login has this id.' },
  'login-expired': { status: 410, sentence: 'The login page was open too long: start again from the service provider.' },
  'invalid-credentials': { status: 401, sentence: 'Wrong username or password at the IdP.' },
  'user-inactive': { status: 403, sentence: 'The user is deactivated in the IdP directory.' },
  'name-id-source-empty': { status: 400, sentence: 'The user has no value for the attribute the service provider takes its NameID from.' },
  'nothing-to-replay': { status: 409, sentence: 'The replay fault needs a response sent to this user and service provider first.' },
  // the directory
  'user-not-found': { status: [404, 400], sentence: 'No user with this id or email in the IdP directory.' },
  'user-exists': { status: 409, sentence: 'A user with this email or id exists in the IdP directory.' },
  'group-not-found': { status: 404, sentence: 'No group with this name or id in the IdP directory.' },
  'group-exists': { status: 409, sentence: 'A group of this name exists in the IdP directory.' },
  'unknown-group': { status: 400, sentence: 'The user or group names a group the IdP directory does not have: create it first.' },
  'group-cycle': { status: 400, sentence: 'Nesting these groups would make a cycle.' },
  'id-immutable': { status: 400, sentence: "A user's or group's id cannot change." },
  'name-immutable': { status: 400, sentence: "A group's name cannot change (its displayName can)." },
  // service providers
  'sp-exists': { status: 409, sentence: 'A service provider with this entity ID is registered: PUT replaces it.' },
  'invalid-metadata': { status: 400, sentence: 'The SP metadata could not be read, or has no HTTP-POST AssertionConsumerService.' },
  'metadata-unreachable': { status: 422, sentence: 'The metadata URL could not be fetched.' },
  'metadata-too-large': { status: 422, sentence: 'The metadata URL returned more than 512 KiB.' },
  // faults
  'fault-rule-not-found': { status: 404, sentence: 'No fault rule has this id.' },
  'faults-conflict': { status: 400, sentence: 'Two faults asked for together cannot both apply.' },
  // provisioning
  'invalid-mapping': { status: 400, sentence: 'An attribute mapping is invalid: the details name it and the position in its expression.' },
  'unknown-assignment': { status: 400, sentence: 'A provisioning assignment names a user or group the IdP directory does not have.' },
  'target-exists': { status: 409, sentence: 'A provisioning target with this id exists: PUT replaces it.' },
  'target-not-found': { status: 404, sentence: 'No provisioning target has this id.' },
  'target-quarantined': { status: 409, sentence: 'The target is in quarantine after repeated failures: fix it, then DELETE its quarantine.' },
  'target-token-refused': { status: 422, sentence: 'The target refuses the SCIM token: the plan cannot read it.' },
  'target-unavailable': { status: 502, sentence: 'The target does not answer: the plan cannot read it.' },
  'cycle-running': { status: 409, sentence: 'A cycle is still running on the target.' },
  'cycle-not-found': { status: 404, sentence: 'No cycle has this id on the target.' },
});

export type IdpReason = keyof typeof IDP_REASONS.table;

export const { badRequest, unauthorized, forbidden, notFound, conflict, unprocessable } = refusals(IDP_REASONS);

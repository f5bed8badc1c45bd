import { reasons, refusals } from '@rehearsal/runtime';

/**
 * Core's reason codes outside the login decision (whose reasons are
 * LOGIN_REASONS, and whose completion refusals are COMPLETION_REFUSALS) and
 * SCIM's RFC 7644 error types: every refusal of core's API, with its status.
 */
export const CORE_REASONS = reasons({
  // authentication of API callers
  'missing-credentials': { status: 401, sentence: 'The call carries no bearer key.' },
  'invalid-credentials': { status: 401, sentence: 'The bearer key is not a key core knows.' },
  'insufficient-scope': { status: 403, sentence: 'The key is valid but not for this endpoint (the gateway key reaches only the login API).' },
  'identity-token-missing': { status: 401, sentence: "A product endpoint needs the gateway's identity token for the signed-in person." },
  'identity-token-expired': { status: 401, sentence: 'The identity token has expired: the gateway signs a new one for each request.' },
  'identity-token-claims': { status: 401, sentence: "The identity token's issuer or audience is not the gateway and core." },
  'identity-token-invalid': { status: 401, sentence: "The identity token's signature does not verify with the gateway's published keys." },
  // the store
  'store-unavailable': { status: 503, sentence: 'The database (PostgreSQL) cannot be reached: try again shortly; core reconnects by itself.' },
  // organizations, admins, subscriptions
  'org-not-found': { status: 404, sentence: 'No organization has this id.' },
  'admin-not-found': { status: 404, sentence: 'The account is not an admin of this organization.' },
  'last-org-admin': { status: 409, sentence: 'An organization keeps at least one admin: add another before this one goes.' },
  'idp-directory-limit': { status: 409, sentence: "The organization's plan allows no more identity provider directories." },
  'subscription-required': { status: 422, sentence: 'The feature needs an Atlassian Guard subscription (or the Enterprise plan).' },
  'subscription-in-use': { status: 409, sentence: 'The Guard subscription cannot go while the organization uses what it gives (SSO, provisioning).' },
  // accounts
  'account-not-found': { status: [404, 422], sentence: 'No account has this id or email.' },
  'account-unknown': { status: 404, sentence: 'No account has this email.' },
  'email-taken': { status: 409, sentence: 'An account with this email exists.' },
  'unknown-accounts': { status: 422, sentence: 'Some of the emails given have no account.' },
  'managed-account-cannot-self-delete': { status: 403, sentence: 'A managed account cannot delete itself: an admin of its organization can.' },
  'managed-account-email-locked': { status: 403, sentence: "A managed account's email is changed by its organization, not by the person." },
  'managed-email-off-domain': { status: 422, sentence: "A managed account's email can only move to another verified domain of its organization." },
  'managed-by-identity-provider': { status: 409, sentence: 'The fields are synced from the identity provider: change them there.' },
  'account-deactivated': { status: 403, sentence: 'The account is deactivated: it cannot use any product until an admin reactivates it.' },
  // domains
  'domain-not-found': { status: 404, sentence: 'No domain has this id in the organization.' },
  'domain-already-added': { status: 409, sentence: 'The organization has added this domain already.' },
  'domain-verified-by-another-org': { status: 409, sentence: 'Another organization verified this domain: it must remove it first.' },
  'domain-not-verified': { status: 409, sentence: 'A domain must be verified before it is linked to a directory.' },
  'domain-verification-failed': { status: 422, sentence: 'The DNS TXT record or the HTTP file that proves ownership was not found.' },
  'invalid-domain': { status: [422, 400], sentence: 'This is not a domain name.' },
  'public-mail-domain': { status: 422, sentence: 'A public mail domain belongs to its individual users and cannot be claimed.' },
  'directory-not-idp': { status: 422, sentence: 'Domains are linked to identity provider directories only.' },
  'dns-records-not-found': { status: 404, sentence: 'The harness DNS publishes nothing for this domain.' },
  'nothing-to-publish': { status: 400, sentence: 'The harness DNS needs a TXT value or a file to publish.' },
  // directories and SAML connections
  'directory-not-found': { status: 404, sentence: 'No directory has this id in the organization.' },
  'directory-name-taken': { status: 409, sentence: 'The organization has a directory of this name.' },
  'saml-connection-not-found': { status: 404, sentence: 'The directory has no SAML connection.' },
  'connection-not-found': { status: 404, sentence: 'No SAML connection has this id.' },
  'saml-requires-idp-directory': { status: 422, sentence: 'Only an identity provider directory can have a SAML connection.' },
  'scim-requires-idp-directory': { status: 422, sentence: 'Only an identity provider directory can be provisioned over SCIM.' },
  'invalid-certificate': { status: 400, sentence: 'The IdP certificate is not a usable X.509 certificate in PEM.' },
  'metadata-invalid': { status: 400, sentence: "The IdP metadata is not well-formed SAML 2.0 metadata with one identity provider's descriptor." },
  'metadata-doctype': { status: 400, sentence: 'The IdP metadata carries a DOCTYPE, which is refused (entity expansion).' },
  'metadata-too-large': { status: 400, sentence: 'The IdP metadata is larger than 512 KiB.' },
  'metadata-no-redirect-sso': {
    status: 422,
    sentence: 'The IdP metadata has no SingleSignOnService on HTTP-Redirect, the binding the gateway sends AuthnRequests on.',
  },
  'metadata-no-signing-certificate': { status: 422, sentence: 'The IdP metadata publishes no signing certificate to verify its responses with.' },
  'metadata-expired': { status: 422, sentence: "The IdP metadata's validUntil has passed." },
  'metadata-unsigned': { status: 422, sentence: 'A certificate was given to check the metadata, and the metadata is not signed.' },
  'metadata-signature-invalid': {
    status: 422,
    sentence: "The metadata's signature does not verify with the certificate given, or does not cover the whole document.",
  },
  'metadata-unreachable': { status: 422, sentence: 'The metadata URL could not be read (network error, a non-2xx answer, or not http(s)).' },
  // policies
  'policy-not-found': { status: 404, sentence: 'No policy has this id in the organization.' },
  'policy-name-taken': { status: 409, sentence: 'The organization has a policy of this name.' },
  'default-policy-undeletable': { status: 409, sentence: "A directory's default policy cannot be deleted." },
  'already-in-default-policy': { status: 409, sentence: "The account is in its directory's default policy already." },
  'member-not-found': { status: 404, sentence: 'The account is not a member of this policy.' },
  'too-many-members': { status: 400, sentence: 'A CSV of members holds at most 10,000 emails.' },
  'empty-csv': { status: 400, sentence: 'The CSV holds no email.' },
  // policy rules, as the pure policy model states them (policies/policy.ts)
  'sso-requires-idp-directory': { status: 422, sentence: 'SSO can only be enforced or offered in a policy of an identity provider directory.' },
  'two-step-idp-requires-sso': { status: 422, sentence: 'Two-step verification can be left to the IdP only when SSO is enforced.' },
  'two-step-with-enforced-sso': { status: 422, sentence: "With SSO enforced, two-step verification is the IdP's business: use twoStep 'idp'." },
  'non-billable-cannot-enforce-sso': { status: 422, sentence: 'A non-billable policy cannot enforce SSO.' },
  'non-billable-cannot-enforce-two-step': { status: 422, sentence: 'A non-billable policy cannot make two-step verification mandatory.' },
  'non-billable-default-outside-local': { status: 422, sentence: 'A non-billable policy can be the default only in the local directory.' },
  'password-expiry-out-of-range': { status: 422, sentence: 'The password expiry is out of the range the product allows.' },
  'idle-timeout-out-of-range': { status: 422, sentence: 'The idle session timeout is out of the range the product allows.' },
  'session-expiry-out-of-range': { status: 422, sentence: 'The session expiry is out of the range the product allows.' },
  'account-not-managed': { status: 422, sentence: 'Only managed accounts of the organization can join its policies.' },
  'synced-member-in-non-billable-policy': { status: 422, sentence: 'An account synced from an identity provider cannot join a non-billable policy.' },
  'password-length': { status: 422, sentence: 'Passwords are 8 to 100 characters long.' },
  'password-too-weak': { status: 422, sentence: "The password is weaker than the authentication policy's minimum strength." },
  'rollout-blocked': { status: 409, sentence: 'The rollout was not applied: its preview locks someone out, warns, or cannot move someone.' },
  // login (the gateway's calls)
  'two-step-enrolled': { status: 409, sentence: 'The account is enrolled in two-step verification already: an admin can reset it.' },
  'two-step-secret-invalid': { status: 400, sentence: 'The secret is not a base32 TOTP secret of at least 128 bits.' },
  // products and access
  'product-unknown': { status: 404, sentence: 'No product has this name.' },
  'unknown-product': { status: 400, sentence: 'No product has this name.' },
  'product-not-enabled': { status: 409, sentence: 'The product is not enabled in the organization: enable it first.' },
  'no-product-access': { status: 403, sentence: 'The account has no licence for the product, directly or through a group.' },
  'access-not-found': { status: 404, sentence: 'The account has no direct grant of this product (access through a group ends with the membership).' },
  'group-mapping-not-found': { status: 404, sentence: 'No mapping of this group to this product.' },
  'group-sync-cannot-grant': { status: 422, sentence: 'A synced group cannot grant Trello: Trello manages its own access.' },
  'invalid-group-name': { status: 400, sentence: 'A group name is 1 to 255 characters of plain text.' },
  'trello-managed-separately': { status: 400, sentence: 'Trello access is managed through workspaces and licences, not product grants.' },
  // Trello
  'enterprise-not-found': { status: 404, sentence: 'No Trello Enterprise has this id.' },
  'enterprise-already-linked': { status: 409, sentence: 'The Trello Enterprise is linked to an organization already.' },
  'org-already-linked': { status: 409, sentence: 'The organization has a linked Trello Enterprise already.' },
  'not-admin-of-both': { status: 403, sentence: 'Linking takes an admin of both the organization and the Trello Enterprise.' },
  'trello-account-exists': { status: 409, sentence: 'The account has a Trello account already.' },
  'trello-account-not-found': { status: [404, 422], sentence: 'The account has no Trello account.' },
  'workspace-not-found': { status: 404, sentence: 'No Trello workspace has this id.' },
  'workspace-member-not-found': { status: 404, sentence: 'The account is not in this workspace.' },
  'workspace-plan-mismatch': { status: 422, sentence: "The workspace's plan does not allow this (an Enterprise workspace belongs to an Enterprise)." },
});

/** A code of core's table. */
export type CoreReason = keyof typeof CORE_REASONS.table;

export const { badRequest, unauthorized, forbidden, notFound, conflict, unprocessable } = refusals(CORE_REASONS);

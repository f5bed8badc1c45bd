/**
 * The shapes and rules core applies to input, for tools that validate it before
 * it reaches core (the `rehearsal` command's scenario files). Pure: no store, no I/O.
 */
export { profileFields } from './api/schemas.ts';
export { PLANS, SUBSCRIPTIONS, hasGuard } from './orgs/organization.ts';
export { DISPLAY_NAME_FROM_SAML } from './directories/saml-connection.ts';
export { PRODUCTS, PRODUCT_PLANS } from './products/product.ts';
export { SSO_MODES, TWO_STEP_MODES, checkPolicy, defaultPolicySettings } from './policies/policy.ts';
export { PASSWORD_STRENGTHS } from './accounts/password.ts';
export { BOARD_VISIBILITIES, WORKSPACE_PLANS } from './trello/trello.ts';

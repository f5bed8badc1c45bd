// The login path's reason tables, for the README's generated list (`@rehearsal/core/login-reasons`).
export { LOGIN_REASONS } from './login-decision.ts';
export { COMPLETION_REFUSALS } from './login-completion.ts';

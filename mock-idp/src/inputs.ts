/**
 * The shapes the mock IdP accepts, for tools that validate input before it
 * reaches the IdP (the `rehearsal` command's scenario files).
 */
export { userInput } from './directory/user.ts';
export { groupInput } from './directory/group.ts';
export { mappingInput } from './provisioning/mapping.ts';
export { DEPROVISION_MODES, PROFILE_NAMES } from './provisioning/profiles.ts';

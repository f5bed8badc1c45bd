/** Rehearsal for test suites and scripts: start the stack with a scenario, drive it, stop it. */
export {
  start,
  resetServices,
  SERVICES,
  DEFAULT_PORTS,
  type Stack,
  type StackOptions,
  type StackUrls,
  type StackCredentials,
  type ServiceName,
} from './stack/stack.ts';
export { applyScenario, type AppliedScenario } from './scenario/apply.ts';
export { readScenarioFile, parseScenario, ScenarioError, type ScenarioProblem } from './scenario/scenario-file.ts';
export type { Scenario, ScenarioInput } from './scenario/schema.ts';
export { headlessLogin, type LoginOptions, type LoginResult } from './login/headless-login.ts';
export { run } from './main.ts';
export {
  StackClock,
  ServiceClient,
  ApiError,
  ServiceUnreachable,
  productEffects,
  type ClockState,
  type ProductOverwrite,
  type ProductEffects,
} from '@rehearsal/runtime/client';

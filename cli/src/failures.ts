import { ConfigError } from '@rehearsal/runtime';
import { EXIT } from './output.ts';
import { ScenarioError } from './scenario/scenario-file.ts';
import { ApiError, ServiceUnreachable } from '@rehearsal/runtime/client';
import { NoStack } from './stack/stack-file.ts';
import { ServiceStartError } from './stack/stack.ts';

/** How a command's failure ends the process: its exit status, reason code, message and details (for --json). */
export interface Failure {
  exit: number;
  code: string;
  message: string;
  extra?: Record<string, unknown>;
}

/** The failure an error stands for, or undefined for an error nobody expected (a bug: it is thrown on). */
export function failureOf(err: unknown): Failure | undefined {
  // A service that cannot start says why in sentences (a bad setting, a port in use): no stack trace.
  if (err instanceof ServiceStartError)
    return { exit: EXIT.usage, code: 'service-not-started', message: err.message, extra: { service: err.service, problems: err.problems } };
  if (err instanceof ConfigError) return { exit: EXIT.usage, code: 'configuration-invalid', message: err.message, extra: { problems: err.problems } };
  if (err instanceof ScenarioError)
    return { exit: EXIT.invalidScenario, code: 'scenario-invalid', message: `invalid scenario:\n${err.message}`, extra: { problems: err.problems } };
  if (err instanceof NoStack || err instanceof ServiceUnreachable) return { exit: EXIT.unreachable, code: 'stack-unreachable', message: err.message };
  if (err instanceof ApiError)
    return { exit: EXIT.refused, code: err.code, message: err.message, extra: { service: err.service, status: err.status, details: err.details } };
  return undefined;
}

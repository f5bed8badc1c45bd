import { resolve } from 'node:path';
import { ScenarioError } from './scenario/scenario-file.ts';
import { ApiError, ServiceUnreachable } from './stack/service-client.ts';
import { NoStack } from './stack/stack-file.ts';
import { createOutput, EXIT, UsageError } from './output.ts';
import type { Command } from './commands/context.ts';
import { clockCommand } from './commands/clock.ts';
import { loginCommand } from './commands/login.ts';
import { provisionCommand } from './commands/provision.ts';
import { reportCommand } from './commands/report.ts';
import { resetCommand } from './commands/reset.ts';
import { scenarioCommand } from './commands/scenario.ts';
import { upCommand } from './commands/up.ts';

export const HELP = `rehearsal: rehearse an SSO rollout before you enforce it.

Usage: rehearsal COMMAND [options] [--json] [--data-dir DIR]

  up [--scenario F] [--processes]      start core, mock IdP and gateway (one process, or one each);
     [--core-port N --idp-port N --gateway-port N]   prints URLs, keys and whom to log in as
  scenario validate F                  check a scenario file (errors give file:line:column: path)
  scenario apply F [--keep]            reset the running stack and apply F (--keep: add to it)
  provision plan [--initial] [--all]   what the next SCIM cycle would send, attribute by attribute
  provision run [--initial]            run the cycle, with progress
  login EMAIL [--method sso|password] [--password P] [--totp C | --totp-secret S] [--enrol] [--then PATH]
                                       a headless login through the gateway: path, outcome, reason
  clock show | advance 31m | freeze [ISO] | unfreeze
                                       every service's clock, together
  report billing [--accounts]          who is billed and why
  report policies                      the authentication policies and their members
  report rollout POLICY [--add EMAILS] [--set sso=enforced,idleSession=1h] [--apply]
                                       what moving people or changing settings would do;
                                       --apply makes the change when nobody is locked out
  reset [--empty]                      empty every service and apply the scenario again

Options: --json prints one JSON document (for scripts); --data-dir DIR is where
\`up\` keeps keys, the database and stack.json (default .rehearsal, or REHEARSAL_DATA_DIR).

Exit codes: 0 done; 1 refused (a login refused, a rollout that locks people out,
a service refusing a change); 2 usage; 3 no stack answers; 4 invalid scenario.`;

const COMMANDS: Record<string, Command> = {
  up: upCommand,
  scenario: scenarioCommand,
  provision: provisionCommand,
  login: loginCommand,
  clock: clockCommand,
  report: reportCommand,
  reset: resetCommand,
};

/** Runs one command line; returns the exit code (never exits itself, so tests can call it). */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Global options may appear anywhere; the rest belongs to the command.
  const json = argv.includes('--json');
  let dataDir = env.REHEARSAL_DATA_DIR ?? '.rehearsal';
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') continue;
    if (argv[i] === '--data-dir') dataDir = argv[++i] ?? dataDir;
    else if (argv[i]!.startsWith('--data-dir=')) dataDir = argv[i]!.slice('--data-dir='.length);
    else args.push(argv[i]!);
  }
  const out = createOutput(json);
  const [name, ...rest] = args;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP + '\n');
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  const fail = (code: number, error: string, message: string, extra: Record<string, unknown> = {}) => {
    out.endProgress();
    if (json) process.stdout.write(JSON.stringify({ error: { code: error, message, ...extra } }, null, 2) + '\n');
    else process.stderr.write(`rehearsal ${name}: ${message}\n`);
    return code;
  };
  if (!command) return fail(EXIT.usage, 'unknown-command', `unknown command "${name}" (try rehearsal --help)`);
  try {
    return await command(rest, { out, dataDir: resolve(dataDir) });
  } catch (err) {
    if (err instanceof UsageError) return fail(EXIT.usage, 'usage', err.message);
    if (err instanceof ScenarioError) return fail(EXIT.invalidScenario, 'scenario-invalid', `invalid scenario:\n${err.message}`, { problems: err.problems });
    if (err instanceof NoStack || err instanceof ServiceUnreachable) return fail(EXIT.unreachable, 'stack-unreachable', err.message);
    if (err instanceof ApiError) return fail(EXIT.refused, err.code, err.message, { service: err.service, status: err.status, details: err.details });
    throw err;
  }
}

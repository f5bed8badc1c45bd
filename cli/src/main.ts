import { resolve } from 'node:path';
import { createOutput, EXIT, UsageError } from './output.ts';
import type { Command } from './commands/context.ts';

export const HELP = `rehearsal: rehearse an SSO rollout before you enforce it.

Usage: rehearsal COMMAND [options] [--json] [--data-dir DIR]

  up [--scenario F] [--processes]      start core, mock IdP and gateway (one process, or one each);
     [--core-port N --idp-port N --gateway-port N]   prints URLs, keys and whom to log in as
  scenario validate F                  check a scenario file (errors give file:line:column: path)
  scenario apply F [--keep]            reset the running stack and apply F (--keep: add to it)
  provision plan [--initial] [--all]   what the next SCIM cycle would send, attribute by attribute
  provision run [--initial]            run the cycle, with progress
  login EMAIL [--method sso|password] [--password P] [--totp C | --totp-secret S] [--enrol] [--trace] [--then PATH]
                                       a headless login through the gateway: path, outcome, reason
  clock show | advance 31m | freeze [ISO] | unfreeze
                                       every service's clock, together
  report billing [--accounts]          who is billed and why
  report policies                      the authentication policies and their members
  report rollout POLICY [--add EMAILS] [--set sso=enforced,idleSession=1h] [--apply]
                                       what moving people or changing settings would do;
                                       --apply makes the change when nobody is locked out
  reset [--empty]                      empty every service and apply the scenario again
  connect idp --metadata URL|FILE [--domain D] [--directory NAME] [--certificate FILE]
                                       point the stack at your own IdP (Okta, Entra ID, Keycloak...)

Options: --json prints one JSON document (for scripts); --data-dir DIR is where
\`up\` keeps keys, the database and stack.json (default .rehearsal, or REHEARSAL_DATA_DIR).

Exit codes: 0 done; 1 refused (a login refused, a rollout that locks people out,
a service refusing a change); 2 usage; 3 no stack answers; 4 invalid scenario.`;

/** `rehearsal COMMAND --help`: each command's own usage, options and what it prints. */
export const COMMAND_HELP: Record<string, string> = {
  up: `Usage: rehearsal up [--scenario FILE] [--processes] [--core-port N] [--idp-port N] [--gateway-port N] [--json]
                    [--database-url postgres://...] [--redis-url redis://...] [--replicas N]

Starts core, the mock IdP and the gateway (in this process, or one process each
with --processes), applies the scenario, and prints the URLs, the keys and whom
to log in as; --json prints the same as one line of JSON. Runs until Ctrl-C.
With --processes, a service that dies is restarted (after 1, 2, 4, 8, 16 s);
a sixth death stops the stack with exit status 1. Other commands find the stack
through <data dir>/stack.json, removed when up stops.
--database-url keeps core's data in PostgreSQL (DATABASE_URL), --redis-url the
mock IdP's and the gateway's state, sessions and logins in progress in Redis
(REDIS_URL). With both and --processes, --replicas N runs N cores, N mock IdPs
and N gateways behind HAProxy (Debian's haproxy), health-checked, on the usual
ports; clock and reset reach them all.`,
  scenario: `Usage: rehearsal scenario validate FILE
       rehearsal scenario apply FILE [--keep]

validate checks a scenario file (problems as file:line:column: path: message);
apply empties the running stack and applies FILE (--keep adds to what is there).`,
  provision: `Usage: rehearsal provision plan [--initial] [--all]
       rehearsal provision run [--initial]

plan shows what the next SCIM cycle sends, attribute by attribute, and what it
overwrites on existing product accounts (--all lists unchanged users too);
run runs the cycle with a progress bar. --initial looks at everyone.`,
  login: `Usage: rehearsal login EMAIL [--method sso|password] [--password P] [--totp CODE | --totp-secret SECRET] [--enrol] [--trace] [--then PATH]

A headless login through the gateway: prints the path taken, the outcome and
the reason. --enrol enrols in two-step verification when asked (the code is
computed from the new secret); --trace adds the AuthnRequest and the Response
(decoded XML) and the checks the gateway applied (in --json: "trace"); --then
asks for PATH once logged in. Exit 1 when
the login is refused or needs more input.`,
  clock: `Usage: rehearsal clock show | advance DURATION | freeze [ISO-INSTANT] | unfreeze

Every service's clock at once. DURATION: 31m, 1h30m, 2d, PT31M.`,
  report: `Usage: rehearsal report billing [--accounts]
       rehearsal report policies
       rehearsal report rollout POLICY [--add EMAILS] [--set sso=enforced,idleSession=1h,...] [--apply]

billing: who is billed and why; policies: the authentication policies, their
settings and members; rollout: each affected account's next login before and
after, lock-outs and the billing delta; --apply makes the change when nobody is
locked out. Exit 1 when the preview locks someone out.`,
  connect: `Usage: rehearsal connect idp --metadata URL|FILE [--domain DOMAIN ...] [--directory NAME] [--certificate FILE]

Points the running stack at a real identity provider (your Okta, Entra ID,
Google Workspace or Keycloak developer tenant): makes the IdP directory NAME
(default "External IdP") if it does not exist, configures its SAML connection
from the IdP's metadata (--certificate: the metadata must be signed with it),
routes each DOMAIN to it (claimed and verified first if needed), and prints
what to enter at the IdP: entity ID, ACS and logout URLs, the SP metadata URL,
the NameID and the attribute names.`,
  reset: `Usage: rehearsal reset [--empty]

Empties every service, sets the clocks back to real time, and applies the
scenario up started with again (--empty: not).`,
};

/** Each command's code, loaded only when it runs: `--help` and a mistyped command load none. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  up: async () => (await import('./commands/up.ts')).upCommand,
  scenario: async () => (await import('./commands/scenario.ts')).scenarioCommand,
  provision: async () => (await import('./commands/provision.ts')).provisionCommand,
  login: async () => (await import('./commands/login.ts')).loginCommand,
  clock: async () => (await import('./commands/clock.ts')).clockCommand,
  report: async () => (await import('./commands/report.ts')).reportCommand,
  reset: async () => (await import('./commands/reset.ts')).resetCommand,
  connect: async () => (await import('./commands/connect.ts')).connectCommand,
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
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(COMMAND_HELP[name] + '\n');
    return EXIT.ok;
  }
  try {
    return await (
      await command()
    )(rest, { out, dataDir: resolve(dataDir) });
  } catch (err) {
    if (err instanceof UsageError) return fail(EXIT.usage, 'usage', err.message);
    // The other failures are classes of the modules the command loaded: read them only now.
    const failure = (await import('./failures.ts')).failureOf(err);
    if (!failure) throw err;
    return fail(failure.exit, failure.code, failure.message, failure.extra);
  }
}

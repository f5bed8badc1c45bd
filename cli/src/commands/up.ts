import { existsSync } from 'node:fs';
import { isAlive } from '@rehearsal/runtime';
import { expand } from '../scenario/references.ts';
import { readScenarioFile } from '../scenario/scenario-file.ts';
import type { Scenario } from '../scenario/schema.ts';
import { ServiceClient } from '@rehearsal/runtime/client';
import { replicaProblems } from '../stack/replicas.ts';
import { DEFAULT_PORTS, start, type Stack } from '../stack/stack.ts';
import { readStackFile, removeStackFile, stackFilePath, writeStackFile } from '../stack/stack-file.ts';
import { EXIT, UsageError, table } from '../output.ts';
import { options, type Command, type CommandContext } from './context.ts';

/** People shown in the "log in as" table; a scenario of thousands shows the first ones. */
const SHOWN_PEOPLE = 8;

interface Person {
  email: string;
  policy: string | null;
  /** The way in that works, in words: SSO through the mock IdP, or the product password (with two-step verification). */
  login: string;
  /** What to type where the login asks: the IdP's password on the SSO path, the product's on the password path. */
  password: string | null;
  /** Where that password is typed. */
  passwordAt: 'idp' | 'product' | null;
  reason: string;
  note: string;
}

/** The decision fields the table reads. */
interface Decision {
  allowed: boolean;
  method: 'sso' | 'password' | 'sso-or-password' | null;
  reason: string;
  message: string;
  policy: { name: string } | null;
  twoStep: { required: boolean; enrolled: boolean };
  password: { set: boolean };
}

/** One row of "log in as": the path core's decision gives, and the password that path asks for. */
export function personOf(email: string, d: Decision, idpPassword: string | null, productPassword: string | null): Person {
  const base = { email, policy: d.policy?.name ?? null, reason: d.reason, note: d.message };
  const none = { password: null, passwordAt: null } as const;
  if (!d.allowed) return { ...base, login: `nothing: locked out (${d.reason})`, ...none };
  const atIdp = idpPassword ? ({ password: idpPassword, passwordAt: 'idp' } as const) : none;
  const atProduct = productPassword ? ({ password: productPassword, passwordAt: 'product' } as const) : none;
  // SSO-optional with no product password: the IdP is the only way that works.
  if (d.method === 'sso' || (d.method === 'sso-or-password' && !d.password.set)) return { ...base, login: 'SSO via the mock IdP', ...atIdp };
  const twoStep = d.twoStep.required ? (d.twoStep.enrolled ? ' + two-step code' : ' + two-step enrolment') : '';
  if (d.method === 'sso-or-password') return { ...base, login: `SSO, or password${twoStep}`, ...(productPassword ? atProduct : atIdp) };
  if (!d.password.set) return { ...base, login: 'password (none set yet: an admin sets one)', ...none };
  return { ...base, login: `password${twoStep}`, ...atProduct };
}

/** Whom to log in as: everyone the scenario names, with the path core's login decision gives them. */
async function peopleOf(s: Scenario, coreUrl: string, coreKey: string): Promise<{ people: Person[]; more: number }> {
  const core = new ServiceClient('core', coreUrl, coreKey);
  const idpPasswords = new Map<string, string | null>();
  const productPasswords = new Map<string, string | null>();
  for (const u of expand(s.idp?.users ?? [])) idpPasswords.set(u.email.toLowerCase(), u.password ?? null);
  for (const a of expand(s.accounts)) productPasswords.set(a.email.toLowerCase(), a.password ?? null);
  const emails = [...new Set([...idpPasswords.keys(), ...productPasswords.keys()])];
  const known = (email: string) => Number((idpPasswords.get(email) ?? productPasswords.get(email) ?? null) !== null);
  // People with a password first: those are the ones a newcomer can log in as.
  emails.sort((a, b) => known(b) - known(a));
  const people: Person[] = [];
  for (const email of emails.slice(0, SHOWN_PEOPLE)) {
    const d = await core.call<Decision>('POST', '/api/login/decision', { email });
    people.push(personOf(email, d, idpPasswords.get(email) ?? null, productPasswords.get(email) ?? null));
  }
  return { people, more: Math.max(0, emails.length - SHOWN_PEOPLE) };
}

/** A one-time link that signs a browser in to the console (it asks for core's admin key otherwise). */
async function consoleLink(stack: Stack): Promise<string | undefined> {
  const answer = await new ServiceClient('console', stack.urls.console, stack.credentials.coreAdminKey).send<{ url?: string }>('POST', '/api/sign-in-links');
  return answer.body.url;
}

/** `up --json`: every URL and credential a script or another test tool needs. */
function stackDescription(stack: Stack, people: Person[], consoleSignIn: string | undefined) {
  const { applied } = stack;
  return {
    urls: {
      ...stack.urls,
      consoleSignIn: consoleSignIn ?? null,
      login: `${stack.urls.gateway}/login`,
      idpMetadata: `${stack.urls.idp}/saml/metadata`,
      openapi: `${stack.urls.core}/openapi.json`,
    },
    credentials: stack.credentials,
    organization: applied ? { id: applied.orgId } : null,
    directories: applied?.directories ?? [],
    policies: applied?.policies ?? [],
    provisioningTarget: applied?.provisioningTarget ?? null,
    people,
    dataDir: stack.dataDir,
    stackFile: stackFilePath(stack.dataDir),
    mode: stack.mode,
    replicas: stack.replicas,
  };
}

/**
 * `up [--scenario F] [--processes] [--core-port N --idp-port N --gateway-port N --console-port N]
 * [--database-url URL] [--redis-url URL] [--replicas N]`: runs until interrupted.
 */
export const upCommand: Command = async (args, ctx) => {
  const { values } = options(args, {
    scenario: { type: 'string', short: 's' },
    processes: { type: 'boolean' },
    'core-port': { type: 'string' },
    'idp-port': { type: 'string' },
    'gateway-port': { type: 'string' },
    'console-port': { type: 'string' },
    'database-url': { type: 'string' },
    'database-schema': { type: 'string' },
    'redis-url': { type: 'string' },
    replicas: { type: 'string' },
  });
  const port = (name: string, fallback: number) => {
    const text = values[name as keyof typeof values] as string | undefined;
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`--${name} must be a port number (1-65535)`);
    return n;
  };
  const ports = {
    core: port('core-port', DEFAULT_PORTS.core),
    idp: port('idp-port', DEFAULT_PORTS.idp),
    gateway: port('gateway-port', DEFAULT_PORTS.gateway),
    console: port('console-port', DEFAULT_PORTS.console),
  };
  const scenario = values.scenario ? readScenarioFile(values.scenario) : undefined;
  if (existsSync(stackFilePath(ctx.dataDir))) {
    const previous = readStackFile(ctx.dataDir);
    if (previous.pid > 0 && isAlive(previous.pid) && previous.pid !== process.pid)
      throw new UsageError(`A stack is already running from ${ctx.dataDir} (process ${previous.pid}). Stop it first, or use another --data-dir.`);
  }

  const mode = values.processes ? 'processes' : 'in-process';
  const replicas = values.replicas === undefined ? 1 : Number(values.replicas);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 8) throw new UsageError('--replicas must be a whole number from 1 to 8');
  // The flags, else the variables every service reads (DATABASE_URL, REDIS_URL).
  const shared = {
    replicas,
    ...((values['database-url'] ?? process.env.DATABASE_URL) ? { databaseUrl: values['database-url'] ?? process.env.DATABASE_URL } : {}),
    ...(values['database-schema'] ? { databaseSchema: values['database-schema'] } : {}),
    ...((values['redis-url'] ?? process.env.REDIS_URL) ? { redisUrl: values['redis-url'] ?? process.env.REDIS_URL } : {}),
  };
  const problems = replicaProblems(shared, mode);
  if (problems.length) throw new UsageError(problems.join('; '));
  // How long a dead service waits before it is restarted, one wait per restart (REHEARSAL_RESTART_BACKOFF_MS=1000,2000,...).
  const backoff = process.env.REHEARSAL_RESTART_BACKOFF_MS?.split(',').map(Number);
  if (backoff?.some((ms) => !Number.isInteger(ms) || ms < 0))
    throw new UsageError('REHEARSAL_RESTART_BACKOFF_MS is a comma-separated list of milliseconds, such as 1000,2000,4000');
  const tell = (line: string) => process.stderr.write(`rehearsal up: ${line}\n`);
  // Set once the stack is up; a restart before then has no stack file to update.
  const started: { stack?: Stack } = {};
  const stack = await start({
    mode,
    ports,
    shared,
    dataDir: ctx.dataDir,
    ...(scenario ? { scenario, progress: ctx.out.progress } : {}),
    ...(process.env.LOG_LEVEL ? { logLevel: process.env.LOG_LEVEL } : {}),
    ...(backoff ? { restartBackoffMs: backoff } : {}),
    ...(mode === 'processes' && !ctx.out.json
      ? { output: (name, line) => (/ is up at |^\s|^$/.test(line) ? undefined : process.stderr.write(`[${name}] ${line}\n`)) }
      : {}),
    // A dead service is news even with --json (on stderr): which one, why, its last words, and what happens next.
    onServiceEvent: (event) => {
      if (event.kind === 'died') {
        tell(`${event.service} ${event.status}. Its last lines:\n${event.lastLines.map((l) => `  | ${l}`).join('\n')}`);
        tell(
          event.restartInMs === null
            ? `${event.service} is not restarted again: stopping the stack.`
            : `restarting ${event.service} in ${event.restartInMs / 1000} s.`,
        );
      } else if (event.kind === 'restarted') {
        // The stack file first: whoever reads the news finds the new process there.
        if (started.stack && existsSync(stackFilePath(ctx.dataDir))) writeStackFile({ ...readStackFile(ctx.dataDir), pids: started.stack.pids() });
        tell(`${event.service} is running again (process ${event.pid}).`);
      }
    },
  });
  started.stack = stack;
  ctx.out.endProgress();
  writeStackFile({
    urls: stack.urls,
    credentials: stack.credentials,
    applied: stack.applied ?? null,
    scenario: values.scenario ?? null,
    mode,
    pid: process.pid,
    ...(mode === 'processes' ? { pids: stack.pids() } : {}),
    dataDir: ctx.dataDir,
  });
  // However this process ends, the stack file goes with it (other commands must not find a dead stack).
  const forget = () => removeStackFile(ctx.dataDir, process.pid);
  process.once('exit', forget);
  const { people, more } = scenario ? await peopleOf(scenario, stack.urls.core, stack.credentials.coreAdminKey) : { people: [], more: 0 };
  // One line of JSON: a script reads the first line of output and has everything.
  const signIn = await consoleLink(stack);
  if (ctx.out.json) process.stdout.write(JSON.stringify(stackDescription(stack, people, signIn)) + '\n');
  else
    printBanner(
      ctx,
      stack,
      values.scenario,
      people,
      more,
      signIn,
      stack.applied
        ? await new ServiceClient('core', stack.urls.core, stack.credentials.coreAdminKey).call('GET', `/api/orgs/${stack.applied.orgId}`)
        : undefined,
    );

  const signalled = new Promise<'signal'>((resolve) => {
    process.once('SIGINT', () => resolve('signal'));
    process.once('SIGTERM', () => resolve('signal'));
  });
  const ended = await Promise.race([signalled, stack.stopped]);
  forget();
  await stack.close();
  if (ended === 'signal') return EXIT.ok;
  tell(`the stack stopped: ${ended.reason}.`);
  return EXIT.refused;
};

const GUARD_WORDS: Record<string, string> = {
  'included-in-enterprise-plan': 'included in the plan',
  subscribed: 'subscribed',
  none: 'none: no SSO, no provisioning, one policy',
};

function printBanner(
  ctx: CommandContext,
  stack: Stack,
  scenarioFile: string | undefined,
  people: Person[],
  more: number,
  signIn: string | undefined,
  organization?: { name: string; plan: string; guard: string },
) {
  const say = ctx.out.say;
  say('');
  say(
    `Rehearsal is up${scenarioFile ? ` with ${scenarioFile}` : ''} (${stack.mode}${stack.replicas > 1 ? `; ${stack.replicas} cores, ${stack.replicas} mock IdPs and ${stack.replicas} gateways behind HAProxy` : ''}).`,
  );
  say('');
  say(`  Console   ${stack.urls.console}`);
  if (signIn) say(`    Sign in once (this link works one time, for 15 minutes): ${signIn}`);
  say(`  Log in    ${stack.urls.gateway}/login`);
  say(`  Gateway   ${stack.urls.gateway}`);
  say(`  Mock IdP  ${stack.urls.idp}   (metadata ${stack.urls.idp}/saml/metadata)`);
  say(`  Core      ${stack.urls.core}   (API ${stack.urls.core}/openapi.json)`);
  say('');
  say(`  Core admin key: ${stack.credentials.coreAdminKey}`);
  say(`    curl -H "Authorization: Bearer ${stack.credentials.coreAdminKey}" ${stack.urls.core}/api/orgs`);
  say(`  Harness key (clock, reset, DNS under /_rehearsal on every service): ${stack.credentials.harnessKey}`);
  if (organization)
    say(`  Organization: ${organization.name} (${organization.plan} plan; Atlassian Guard: ${GUARD_WORDS[organization.guard] ?? organization.guard})`);
  for (const d of stack.applied?.directories ?? []) {
    if (d.scim) say(`  SCIM (${d.name}): ${d.scim.baseUrl}  token ${d.scim.token}`);
    if (d.saml) say(`  SAML (${d.name}): SP entity ID ${d.saml.spEntityId}\n    ACS ${d.saml.acsUrl}`);
  }
  if (people.length) {
    say('');
    say('Log in as:');
    const shown = (p: Person) => (p.password === null ? '-' : p.passwordAt === 'idp' ? `${p.password} (at the IdP)` : p.password);
    say(
      table(
        people.map((p) => ({ ...p, password: shown(p) })),
        ['email', 'policy', 'login', 'password'],
      ).replace(/^/gm, '  '),
    );
    if (more) say(`  ... and ${more} more`);
  }
  say('');
  say(`Other commands find this stack through ${stackFilePath(stack.dataDir)}: rehearsal login EMAIL, rehearsal clock advance 31m, rehearsal report billing.`);
  say('Stop with Ctrl-C.');
}

import { parseArgs } from 'node:util';
import { headlessLogin, type LoginStep } from '../login/headless-login.ts';
import { StackClock } from '@rehearsal/runtime/client';
import { harnessClients } from '../stack/stack.ts';
import { EXIT, UsageError, table } from '../output.ts';
import { runningStack, type Command } from './context.ts';

const LOGIN_OPTIONS = {
  method: { type: 'string' },
  password: { type: 'string', short: 'p' },
  totp: { type: 'string' },
  'totp-secret': { type: 'string' },
  enrol: { type: 'boolean' },
  then: { type: 'string', multiple: true },
  advance: { type: 'string', multiple: true },
  trace: { type: 'boolean' },
} as const;

/**
 * `login EMAIL [--method sso|password] [--password P] [--totp C | --totp-secret S] [--enrol] [--trace] [--then PATH] [--advance 61m --then PATH ...]`:
 * a headless login through the gateway; `--then` and `--advance` run in the order given, in the same session.
 */
export const loginCommand: Command = async (args, ctx) => {
  let parsed;
  try {
    parsed = parseArgs({ args, options: LOGIN_OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals, tokens } = parsed;
  if (positionals.length !== 1)
    throw new UsageError(positionals.length ? `unexpected argument "${positionals[1]}"` : 'missing argument: the email to log in as');
  if (values.method !== undefined && values.method !== 'sso' && values.method !== 'password') throw new UsageError('--method is sso or password');
  // --then and --advance, in the order they were typed.
  const steps: LoginStep[] = tokens.flatMap((t): LoginStep[] =>
    t.kind !== 'option' || t.value === undefined ? [] : t.name === 'then' ? [{ get: t.value }] : t.name === 'advance' ? [{ advance: t.value }] : [],
  );
  const stack = runningStack(ctx);
  const clock = new StackClock(harnessClients(stack.urls, stack.credentials.harnessKey));
  // One --then and nothing else is the page of the result (with its body shown); anything more is a sequence of steps.
  const single = steps.length === 1 && 'get' in steps[0]! ? steps[0].get : undefined;
  const result = await headlessLogin(stack.urls, positionals[0]!, {
    ...(values.method ? { method: values.method } : {}),
    ...(values.password ? { password: values.password } : {}),
    ...(values.totp ? { totp: values.totp } : {}),
    ...(values['totp-secret'] ? { totpSecret: values['totp-secret'] } : {}),
    ...(values.enrol ? { enrol: true } : {}),
    ...(values.trace ? { trace: true } : {}),
    ...(single ? { then: single } : { steps, advanceClock: (duration: string) => clock.advance(duration) }),
  });
  ctx.out.result(result, () => {
    ctx.out.say(
      table([{ email: result.email, path: result.path.join(' > '), outcome: result.outcome, reason: result.reason }], ['email', 'path', 'outcome', 'reason']),
    );
    ctx.out.say(result.message);
    for (const note of result.notes ?? []) ctx.out.say(note);
    if (result.enrolment) {
      ctx.out.say(`Two-step secret: ${result.enrolment.secret}  (${result.enrolment.otpauthUri})`);
      if (result.enrolment.recoveryCodes) ctx.out.say(`Recovery codes (shown once): ${result.enrolment.recoveryCodes.join(' ')}`);
    }
    if (result.page) ctx.out.say(`GET ${result.page.path}: ${result.page.status}\n${JSON.stringify(result.page.body, null, 2)}`);
    if (result.trace) {
      const { authnRequest, response, acs, checks } = result.trace;
      if (authnRequest) ctx.out.say(`AuthnRequest (${authnRequest.binding}${authnRequest.signed ? ', signed' : ''}):\n${authnRequest.xml}`);
      if (response) ctx.out.say(`Response to ${response.acsUrl}:\n${response.xml}`);
      if (acs) ctx.out.say(`ACS: ${acs.status}${acs.code ? ` ${acs.code}` : ''}${checks.length ? `; checks passed: ${checks.join(', ')}` : ''}`);
    }
    for (const step of result.steps ?? []) {
      ctx.out.say('advance' in step ? `clock advanced ${step.advance}` : `GET ${step.get}: ${step.status}${step.code ? ` ${step.code}` : ''}`);
    }
  });
  return result.outcome === 'logged-in' ? EXIT.ok : EXIT.refused;
};

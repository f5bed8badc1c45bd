import { headlessLogin } from '../login/headless-login.ts';
import { EXIT, UsageError, table } from '../output.ts';
import { options, runningStack, type Command } from './context.ts';

/** `login EMAIL [--method sso|password] [--password P] [--totp C | --totp-secret S] [--enrol] [--then /trello]`: a headless login through the gateway. */
export const loginCommand: Command = async (args, ctx) => {
  const { values, positionals } = options(
    args,
    { method: { type: 'string' }, password: { type: 'string', short: 'p' }, totp: { type: 'string' }, 'totp-secret': { type: 'string' }, enrol: { type: 'boolean' }, then: { type: 'string' } },
    { min: 1, max: 1 },
  );
  if (values.method !== undefined && values.method !== 'sso' && values.method !== 'password') throw new UsageError('--method is sso or password');
  const stack = runningStack(ctx);
  const result = await headlessLogin(stack.urls, positionals[0]!, {
    ...(values.method ? { method: values.method as 'sso' | 'password' } : {}),
    ...(values.password ? { password: values.password } : {}),
    ...(values.totp ? { totp: values.totp } : {}),
    ...(values['totp-secret'] ? { totpSecret: values['totp-secret'] } : {}),
    ...(values.enrol ? { enrol: true } : {}),
    ...(values.then ? { then: values.then } : {}),
  });
  ctx.out.result(result, () => {
    ctx.out.say(table([{ email: result.email, path: result.path.join(' > '), outcome: result.outcome, reason: result.reason }], ['email', 'path', 'outcome', 'reason']));
    ctx.out.say(result.message);
    if (result.enrolment) {
      ctx.out.say(`Two-step secret: ${result.enrolment.secret}  (${result.enrolment.otpauthUri})`);
      if (result.enrolment.recoveryCodes) ctx.out.say(`Recovery codes (shown once): ${result.enrolment.recoveryCodes.join(' ')}`);
    }
    if (result.page) ctx.out.say(`GET ${result.page.path}: ${result.page.status}\n${JSON.stringify(result.page.body, null, 2)}`);
  });
  return result.outcome === 'logged-in' ? EXIT.ok : EXIT.refused;
};

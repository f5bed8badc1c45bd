import { inflateRawSync } from 'node:zlib';
import { generateSync } from 'otplib';
import { ServiceClient, type ErrorAnswer, type GatewayStep, type IssuedResponse, type Reply } from '@rehearsal/runtime/client';

export interface LoginOptions {
  /** Where SSO is optional: which path to take (by default SSO, unless a password is given). */
  method?: 'sso' | 'password';
  password?: string;
  /** A TOTP code as the user would type it. */
  totp?: string;
  /** The authenticator's secret: codes are computed at the gateway's clock (frozen or advanced time included). */
  totpSecret?: string;
  /** Enrol in two-step verification when asked, computing the first code from the new secret. */
  enrol?: boolean;
  /** A path to ask for after logging in (for example /trello). */
  then?: string;
  /** What to do once logged in, in order: ask for a path, or move the stack's clock (needs `advanceClock`). */
  steps?: LoginStep[];
  /** Moves every service's clock (the stack's harness): what an `advance` step calls. */
  advanceClock?: (duration: string) => Promise<unknown>;
  /** Keep the SAML messages (decoded) and the checks the gateway applied, in `trace`. */
  trace?: boolean;
}

/** The SAML exchange of an SSO login, as a SAML tracer shows it. */
export interface LoginTrace {
  authnRequest?: { url: string; binding: 'redirect'; signed: boolean; xml: string };
  response?: { acsUrl: string; relayState: string | null; xml: string };
  /** What the gateway's ACS answered: its status, and the refusal code if it refused. */
  acs?: { status: number; code?: string };
  /** The checks the response passed at the gateway, in order (empty when it was refused: `acs.code` is the one that failed). */
  checks: string[];
}

export type LoginStep = { get: string } | { advance: string };

/** What one step after the login gave: the answer to a path (status, reason code if refused), or the clock moved. */
export type StepResult = { get: string; status: number; code?: string; body: unknown } | { advance: string };

export interface LoginResult {
  email: string;
  /** The steps taken: `sso`, `idp`, `acs`, `password`, `password-change`, `two-step`, `two-step-enrolment`. */
  path: string[];
  outcome: 'logged-in' | 'refused' | 'input-needed';
  reason: string;
  message: string;
  /** The gateway session cookie, once logged in. */
  cookie?: string;
  enrolment?: { secret: string; otpauthUri: string; recoveryCodes?: string[] };
  /** What `then` answered. */
  page?: { path: string; status: number; body: unknown };
  /** What each of `steps` gave, in order. */
  steps?: StepResult[];
  /** Things worth knowing that are not the outcome (an option that had nothing to do). */
  notes?: string[];
  /** With `trace`: the AuthnRequest and Response, decoded, and the checks applied. */
  trace?: LoginTrace;
}

/** The cookies a headless browser keeps for one host. */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  take<T>(reply: Reply<T>): Reply<T> {
    for (const c of reply.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [name, value] = pair!.split('=');
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookies.delete(name!);
      else this.cookies.set(name!, value ?? '');
    }
    return reply;
  }
  get header() {
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }
  get(name: string) {
    return this.cookies.get(name);
  }
}

/** The XML of a Redirect-binding message (deflated, base64, in the query). */
const redirectXml = (location: string) => inflateRawSync(Buffer.from(new URL(location).searchParams.get('SAMLRequest') ?? '', 'base64')).toString();

/** The SP entity ID of a Redirect-binding AuthnRequest (its Issuer). */
function issuerOf(location: string): string {
  const xml = redirectXml(location);
  const issuer = /<(?:\w+:)?Issuer[^>]*>([^<]+)</.exec(xml)?.[1];
  if (!issuer) throw new Error('the gateway sent an AuthnRequest without an Issuer');
  return issuer;
}

/**
 * A login through the gateway without a browser, as far as the given factors
 * allow: the gateway's decision, then SSO through the mock IdP's headless API
 * (the user is the one named; the IdP asks for no password), or the password
 * and two-step verification steps. Says which path it took and why it stopped.
 */
export async function headlessLogin(urls: { gateway: string; idp: string }, email: string, options: LoginOptions = {}): Promise<LoginResult> {
  const gateway = new ServiceClient('gateway', urls.gateway);
  const idp = new ServiceClient('mock-idp', urls.idp);
  const jar = new CookieJar();
  const path: string[] = [];
  const post = async (p: string, body: unknown) => jar.take(await gateway.send<GatewayStep>('POST', p, body, jar.header));
  const trace: LoginTrace | undefined = options.trace ? { checks: [] } : undefined;
  const stop = (outcome: LoginResult['outcome'], reason: string, message: string, extra: Partial<LoginResult> = {}): LoginResult => ({
    email,
    path,
    outcome,
    reason,
    message,
    ...extra,
    ...(trace ? { trace } : {}),
  });
  const refused = (reply: Reply) => {
    const error = reply.body && typeof reply.body === 'object' ? (reply.body as ErrorAnswer).error : undefined;
    return stop('refused', error?.code ?? `http-${reply.status}`, error?.message ?? (typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body)));
  };

  const finish = async (reason: string, message: string, extra: Partial<LoginResult> = {}): Promise<LoginResult> => {
    const cookie = jar.get('rehearsal_gw_session');
    const result = stop('logged-in', reason, message, { ...extra, ...(cookie ? { cookie: `rehearsal_gw_session=${cookie}` } : {}) });
    if (options.enrol && !extra.enrolment) {
      (result.notes ??= []).push(
        path.includes('sso')
          ? '--enrol: this login went through the identity provider, where two-step verification is its business: nothing to enrol here.'
          : "--enrol: this account's policy does not require two-step verification, so there was nothing to enrol.",
      );
    }
    if (options.then) {
      const page = await gateway.send('GET', options.then, undefined, jar.header);
      result.page = { path: options.then, status: page.status, body: page.body };
    }
    // The same session throughout: what the browser would see on its next page, after the clock moved.
    for (const step of options.steps ?? []) {
      if ('advance' in step) {
        if (!options.advanceClock) throw new Error('an advance step needs advanceClock');
        await options.advanceClock(step.advance);
        (result.steps ??= []).push({ advance: step.advance });
        continue;
      }
      const page = jar.take(await gateway.send('GET', step.get, undefined, jar.header));
      const code = page.status >= 400 ? (page.body as { error?: { code?: string } })?.error?.code : undefined;
      (result.steps ??= []).push({ get: step.get, status: page.status, ...(code ? { code } : {}), body: page.body });
    }
    return result;
  };

  const method = options.method ?? (options.password ? 'password' : undefined);
  const start = await post('/login', { email, ...(method ? { method } : {}) });
  if (start.status === 302 || start.status === 303) {
    path.push('sso');
    const location = start.headers.get('location')!;
    if (trace) trace.authnRequest = { url: location, binding: 'redirect', signed: new URL(location).searchParams.has('Signature'), xml: redirectXml(location) };
    const issued = await idp.send<IssuedResponse>('POST', '/api/login', { sp: issuerOf(location), user: email, authnRequest: location });
    path.push('idp');
    if (issued.status !== 200) return refused(issued);
    if (trace)
      trace.response = {
        acsUrl: issued.body.acsUrl,
        relayState: issued.body.relayState ?? null,
        xml: Buffer.from(issued.body.samlResponse, 'base64').toString('utf8'),
      };
    const form = `SAMLResponse=${encodeURIComponent(issued.body.samlResponse)}${issued.body.relayState ? `&RelayState=${encodeURIComponent(issued.body.relayState)}` : ''}`;
    const acs = new URL(issued.body.acsUrl);
    const callback = jar.take(
      await new ServiceClient('gateway', acs.origin).send('POST', acs.pathname + acs.search, form, {
        ...jar.header,
        'content-type': 'application/x-www-form-urlencoded',
        ...(trace ? { 'rehearsal-trace': '1' } : {}),
      }),
    );
    path.push('acs');
    if (trace) {
      const code = callback.status >= 400 ? (callback.body as ErrorAnswer | undefined)?.error?.code : undefined;
      trace.acs = { status: callback.status, ...(code ? { code } : {}) };
      trace.checks = (callback.headers.get('rehearsal-checks') ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
    }
    if (callback.status >= 400) return refused(callback);
    return finish('sso-login', 'Logged in through the identity provider.');
  }
  if (start.status !== 200) return refused(start);

  path.push('password');
  if (!options.password) return stop('input-needed', 'password-required', `${start.body.message ?? ''} Give the password with --password.`.trim());
  // The authenticator app, at the gateway's time (frozen or advanced by the harness; real time without one).
  const codeFor = async (secret: string) => {
    const { now } = await gateway.call<{ now: string }>('GET', '/_rehearsal/clock').catch(() => ({ now: new Date().toISOString() }));
    return generateSync({ secret, epoch: Math.floor(new Date(now).getTime() / 1000) });
  };
  let reply = await post('/login/password', { email, password: options.password });
  let enrolment: LoginResult['enrolment'];
  for (;;) {
    if (reply.status >= 400) return refused(reply);
    if (reply.body.loggedIn) return finish(enrolment ? 'two-step-enrolled' : 'password-login', 'Logged in with a password.', enrolment ? { enrolment } : {});
    const step = reply.body.step ?? '';
    path.push(step);
    if (step === 'password-change') return stop('input-needed', 'password-expired', 'The password has expired: log in in a browser to choose a new one.');
    if (step === 'two-step-enrolment') {
      enrolment = { secret: reply.body.secret ?? '', otpauthUri: reply.body.otpauthUri ?? '' };
      if (!options.enrol)
        return stop(
          'input-needed',
          'two-step-enrolment-required',
          'Two-step verification must be set up: run again with --enrol (the code is computed from the new secret).',
          { enrolment },
        );
      reply = await post('/login/two-step/enrol', { code: await codeFor(enrolment.secret) });
      if (reply.status === 200 && reply.body.recoveryCodes) enrolment.recoveryCodes = reply.body.recoveryCodes;
      continue;
    }
    if (step === 'two-step') {
      const code = options.totp ?? (options.totpSecret ? await codeFor(options.totpSecret) : undefined);
      if (!code) return stop('input-needed', 'two-step-code-required', 'Give the code with --totp (or the secret with --totp-secret).');
      reply = await post('/login/two-step', { code });
      continue;
    }
    return stop('refused', 'unexpected-step', `The gateway asked for an unknown step "${step}".`);
  }
}

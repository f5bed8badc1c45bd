import { Router, type Request } from 'express';
import { isRelativePath, type GatewayContext } from '../context.ts';
import { checkResponse, decodeSamlResponse, readResponse, SamlRejection, type ReadResponse } from './response-checks.ts';
import type { SamlProfile } from './service-provider.ts';
import { samlErrorOf } from './saml-errors.ts';
import { fromBoundBrowser } from './browser-binding.ts';

type SamlContext = Pick<GatewayContext, 'core' | 'web' | 'sp' | 'clock' | 'parsers' | 'connectionFor' | 'startSession' | 'refuse' | 'traces'>;

/** The connection a SAML endpoint names in `?connection=saml-<id>`, or undefined. */
export const connectionParam = (req: Request) => {
  const value = (req.query as Record<string, string | undefined>).connection ?? '';
  return value.startsWith('saml-') ? value.slice(5) : undefined;
};

/**
 * The SAML service provider's endpoints: metadata and the ACS (single logout
 * is logout-routes.ts). The gateway validates; core decides who the assertion may log in
 * (one call, `completeLogin`).
 */
export function samlRoutes(ctx: SamlContext): Router {
  const { core, web, sp, refuse, traces } = ctx;
  const router = Router();

  /** SP metadata of a connection (or of the one an IdP directory will have), for IdPs that import it. */
  router.get('/saml/:connectionId/metadata', async (req, res) => {
    const id = String(req.params.connectionId);
    const details = await core.serviceProvider(id);
    if (!details)
      return refuse(req, res, 'connection-unknown', `No SAML connection ${id}, and no identity provider directory waiting for one.`, { status: 404 });
    res.type('application/samlmetadata+xml').send(await sp.metadata(details));
  });

  // ---- the ACS: the IdP's answer --------------------------------------------------
  router.post('/login/callback', ctx.parsers.form, async (req, res) => {
    const connectionId = connectionParam(req);
    if (connectionId === undefined) return refuse(req, res, 'connection-unknown', 'The ACS URL names no SAML connection.', { status: 400 });
    const fields = (req.body ?? {}) as Record<string, string | undefined>;
    // Read first: a response to an AuthnRequest this gateway sent brings its connection (no look-up in core).
    let read: ReadResponse | SamlRejection;
    try {
      read = readResponse(decodeSamlResponse(fields.SAMLResponse));
    } catch (err) {
      if (!(err instanceof SamlRejection)) throw err;
      read = err;
    }
    const sent = read instanceof SamlRejection ? undefined : await sp.sentRequest(read.inResponseTo);
    const inResponseTo = read instanceof SamlRejection ? undefined : read.inResponseTo;
    if (!(await traces.resume(res, { requestId: inResponseTo }))) traces.begin(res, null, inResponseTo ? 'sso' : 'idp-initiated');
    traces.step(
      res,
      {
        service: 'idp',
        step: 'response',
        summary: inResponseTo ? `Response to ${inResponseTo}` : 'Unsolicited response',
        ...(read instanceof SamlRejection ? {} : { xml: read.xml }),
      },
      { connectionId },
    );
    const connection = sent?.connection.id === connectionId ? sent.connection : await ctx.connectionFor(connectionId);
    let checked;
    try {
      if (read instanceof SamlRejection) throw read;
      checked = checkResponse(read, {
        acsUrl: connection.acsUrl,
        audience: connection.spEntityId,
        issuer: connection.idpEntityId,
        now: ctx.clock.now(),
        wantAssertionsSigned: connection.wantAssertionsSigned,
      });
      if (checked.inResponseTo !== undefined && !(await sp.outstanding(checked.inResponseTo))) throw unknownRequest();
      if (sent && !fromBoundBrowser(req, sent.browser)) {
        throw new SamlRejection('saml-response-other-browser', 'This response answers a login started in another browser: start the login again here.');
      }
      if (checked.inResponseTo === undefined && !connection.allowIdpInitiated) {
        throw new SamlRejection('saml-unsolicited-response', 'The connection does not accept IdP-initiated logins: start from the gateway.');
      }
    } catch (err) {
      if (err instanceof SamlRejection) return refuse(req, res, err.code, err.message);
      throw err;
    }
    const { err, profile } = await sp.validate(req, res, connection);
    if (err || !profile) {
      const refusal = samlErrorOf(err);
      return refuse(req, res, refusal.code, `The SAML response was refused: ${refusal.message}.`);
    }
    // A response is good once: its assertion ID is remembered until it expires.
    if (!(await sp.seenAssertions.add(checked.assertionId, connection.id, checked.notOnOrAfter.getTime()))) {
      return refuse(req, res, 'saml-assertion-replayed', 'This assertion was used already.');
    }
    // The request is answered only now: a response that failed left it for the genuine one.
    if (checked.inResponseTo !== undefined && !(await sp.answered(checked.inResponseTo))) {
      const gone = unknownRequest();
      return refuse(req, res, gone.code, gone.message);
    }
    const nameId = String(profile.nameID ?? '');
    if (nameId.toLowerCase() !== checked.nameId.toLowerCase()) return refuse(req, res, 'saml-response-invalid', 'The signed NameID differs from the one read.');
    // Every check this response passed, in order: for the console's trace, and `rehearsal login --trace` asks for them.
    const around = [
      checked.inResponseTo === undefined ? 'idp-initiated-allowed' : 'request-outstanding',
      ...(sent ? ['same-browser'] : []),
      'signature',
      'assertion-not-replayed',
      ...(checked.inResponseTo === undefined ? [] : ['request-answered-once']),
    ];
    const checks = [...checked.checks, ...around];
    traces.step(
      res,
      { service: 'gateway', step: 'checks', summary: `${checks.length} checks passed`, checks },
      traces.of(res)?.email ? {} : { email: nameId.toLowerCase() },
    );
    const completion = await core.completeLogin({
      method: 'sso',
      connectionId: connection.id,
      nameId,
      attributes: attributesOf(profile),
      ...(typeof profile.sessionIndex === 'string' ? { sessionIndex: profile.sessionIndex } : {}),
    });
    if (!completion.completed) return web.refuse(req, res, 403, completion.reason, completion.message);
    if (req.get(TRACE_HEADER)) res.set('Rehearsal-Checks', [...checks, 'policy-allows-connection'].join(', '));
    const relay = fields.RelayState;
    await ctx.startSession(req, res, completion, relay && isRelativePath(relay) ? relay : '/');
  });

  return router;
}

/** A client that sends this header is told, in `Rehearsal-Checks`, which checks its response passed. */
export const TRACE_HEADER = 'Rehearsal-Trace';

const unknownRequest = () =>
  new SamlRejection(
    'saml-in-response-to-unknown',
    'This response answers no login this gateway is waiting for (it expired, was used already, or was never asked).',
  );

/** An assertion's attributes as core takes them: text values only, bounded. */
export function attributesOf(profile: SamlProfile): Record<string, string[]> {
  const attributes: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(profile.attributes ?? {}).slice(0, 200)) {
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string' && v.length <= 2048).slice(0, 100);
    if (name.length <= 512 && values.length) attributes[name] = values;
  }
  return attributes;
}

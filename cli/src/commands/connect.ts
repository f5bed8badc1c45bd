import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { claimDomain } from '../scenario/apply.ts';
import { EXIT, UsageError } from '../output.ts';
import { options, runningStack, type Command } from './context.ts';

interface Directory {
  id: string;
  name: string;
  kind: 'local' | 'idp';
}
interface Connection {
  id: string;
  idpEntityId: string;
  ssoUrl: string;
  sloUrl: string | null;
  signAuthnRequests: boolean;
  certificateInfo: { subject: string; notAfter: string; fingerprintSha256: string } | null;
  imported: { certificates: number; metadataSignatureVerified: boolean };
}
interface ServiceProvider {
  spEntityId: string;
  acsUrl: string;
  sloUrl: string;
  metadataUrl: string;
  nameIdFormat: string;
}

/** The attribute names the gateway reads given and family names from (its claim URIs, as Entra ID sends them). */
const NAME_ATTRIBUTES = {
  givenName: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname',
  surname: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname',
};

const readFile = (file: string, what: string) => {
  try {
    return readFileSync(resolve(file), 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
};

/**
 * `connect idp --metadata URL|FILE [--domain acme.com ...] [--directory NAME] [--certificate FILE]`:
 * points the running stack at a real IdP (your Okta, Entra ID, Google Workspace or Keycloak tenant)
 * in one command: an IdP directory (made if needed), its SAML connection from the IdP's metadata,
 * the domains routed to it; then prints what to enter at the IdP.
 */
export const connectCommand: Command = async (args, ctx) => {
  const { values, positionals } = options(
    args,
    { metadata: { type: 'string' }, domain: { type: 'string', multiple: true }, directory: { type: 'string' }, certificate: { type: 'string' } },
    { min: 1, max: 1 },
  );
  if (positionals[0] !== 'idp') throw new UsageError(`unknown target "${positionals[0]}": rehearsal connect idp --metadata URL|FILE`);
  if (!values.metadata) throw new UsageError('--metadata URL|FILE is required: the IdP metadata URL, or a file saved from it');
  const metadata = /^https?:\/\//i.test(values.metadata) ? { url: values.metadata } : { xml: readFile(values.metadata, 'metadata file') };
  const certificate = values.certificate ? readFile(values.certificate, 'certificate file') : undefined;
  const stack = runningStack(ctx);
  const orgPath = `/api/orgs/${stack.orgId}`;
  const name = values.directory ?? 'External IdP';

  const directories = await stack.core.call<Directory[]>('GET', `${orgPath}/directories`);
  const directory =
    directories.find((d) => d.kind === 'idp' && d.name === name) ?? (await stack.core.call<Directory>('POST', `${orgPath}/directories`, { name }));
  const connection = await stack.core.call<Connection>('POST', `${orgPath}/directories/${directory.id}/saml/metadata`, {
    ...metadata,
    ...(certificate ? { certificate } : {}),
  });
  const domains: string[] = [];
  if (values.domain?.length) {
    const claimed = await stack.core.call<{ id: string; name: string }[]>('GET', `${orgPath}/domains`);
    for (const wanted of values.domain) {
      const domain = claimed.find((d) => d.name === wanted.toLowerCase()) ?? (await claimDomain(stack.core, orgPath, wanted.toLowerCase(), 'dns'));
      await stack.core.call('PUT', `${orgPath}/domains/${domain.id}/directory`, { directoryId: directory.id });
      domains.push(domain.name);
    }
  }
  const sp = await stack.core.call<ServiceProvider>('GET', `${orgPath}/directories/${directory.id}/saml/service-provider`);
  const result = {
    directory: { id: directory.id, name: directory.name },
    connection: {
      id: connection.id,
      idpEntityId: connection.idpEntityId,
      ssoUrl: connection.ssoUrl,
      sloUrl: connection.sloUrl,
      signAuthnRequests: connection.signAuthnRequests,
      certificate: connection.certificateInfo,
      metadataSignatureVerified: connection.imported.metadataSignatureVerified,
    },
    serviceProvider: { ...sp, attributes: NAME_ATTRIBUTES },
    domains,
  };
  ctx.out.result(result, () => {
    ctx.out.say(
      `Connected "${directory.name}" to ${connection.idpEntityId} (SSO ${connection.ssoUrl}${connection.sloUrl ? `, SLO ${connection.sloUrl}` : ''}).`,
    );
    if (connection.certificateInfo)
      ctx.out.say(`IdP signing certificate: ${connection.certificateInfo.subject}, valid until ${connection.certificateInfo.notAfter}.`);
    ctx.out.say('\nEnter these at the IdP (or give it the SP metadata URL):');
    ctx.out.say(`  Entity ID (Audience):     ${sp.spEntityId}`);
    ctx.out.say(`  ACS URL (Reply URL):      ${sp.acsUrl}`);
    ctx.out.say(`  Single logout URL:        ${sp.sloUrl}`);
    ctx.out.say(`  SP metadata:              ${sp.metadataUrl}`);
    ctx.out.say(`  NameID:                   the user's email (${sp.nameIdFormat})`);
    ctx.out.say(`  Given name attribute:     ${NAME_ATTRIBUTES.givenName}`);
    ctx.out.say(`  Family name attribute:    ${NAME_ATTRIBUTES.surname}`);
    ctx.out.say(
      domains.length
        ? `\nPeople at ${domains.join(', ')} now log in through this IdP: rehearsal login EMAIL, or ${stack.urls.gateway}/login.`
        : '\nRoute a domain to this directory with --domain to send its people through this IdP.',
    );
  });
  return EXIT.ok;
};

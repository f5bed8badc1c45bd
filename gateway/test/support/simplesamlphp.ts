import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@rehearsal/runtime/testing';

/** Debian's SimpleSAMLphp (simplesamlphp, with php-xml and php-mbstring): a SAML IdP and SP nobody here wrote. */
const WWW = '/usr/share/simplesamlphp/www';
const CLAIMS = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims';

/** Why SimpleSAMLphp cannot run here, with what to install; undefined when it can. */
export function simpleSamlPhpMissing(): string | undefined {
  if (!existsSync(WWW)) return 'SimpleSAMLphp is missing: sudo apt-get install -y simplesamlphp php-xml php-mbstring';
  const php = spawnSync('php', ['-m'], { encoding: 'utf8' });
  if (php.status !== 0) return 'php is missing: sudo apt-get install -y php-cli php-xml php-mbstring';
  for (const module of ['dom', 'mbstring', 'openssl'])
    if (!new RegExp(`^${module}$`, 'mi').test(php.stdout)) return `php's ${module} is missing: sudo apt-get install -y php-xml php-mbstring`;
  return undefined;
}

export interface RemoteEntity {
  entityId: string;
  /** SP: the ACS; IdP: the SSO service (HTTP-Redirect). */
  url: string;
  /** The SLO endpoint (HTTP-Redirect). */
  slo: string;
  /** IdP: its signing certificate, base64 DER. */
  certificate?: string;
}

export interface SimpleSamlPhp {
  url: string;
  /** Its IdP's entity ID (`/idp`) and its SP's (`/sp`). */
  idpEntityId: string;
  spEntityId: string;
  idpMetadataUrl: string;
  spMetadataUrl: string;
  close(): Promise<void>;
}

const php = (value: unknown): string => JSON.stringify(value).replace(/\$/g, '\\$');

/**
 * SimpleSAMLphp on a loopback port (`php -S`, a configuration of its own in a
 * temporary directory): an IdP whose user alice (alice-pass) carries the
 * gateway's claim names, which knows `sp` as a remote SP; and an SP
 * (`default-sp`) whose IdP is `idp`. Logs in `<dir>/data`.
 */
export async function startSimpleSamlPhp(remotes: { sp?: RemoteEntity; idp?: RemoteEntity }): Promise<SimpleSamlPhp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'rehearsal-ssp-'));
  for (const sub of ['config', 'metadata', 'cert', 'data']) mkdirSync(join(dir, sub));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, 'cert', 'key.pem'),
      '-out',
      join(dir, 'cert', 'cert.pem'),
      '-days',
      '30',
      '-subj',
      '/CN=simplesamlphp.test',
    ],
    {
      stdio: 'ignore',
    },
  );
  const idpEntityId = `${url}/idp`;
  const spEntityId = `${url}/sp`;
  writeFileSync(
    join(dir, 'config', 'config.php'),
    `<?php
$config = [
  'baseurlpath' => ${php(`${url}/`)},
  'certdir' => ${php(`${dir}/cert/`)},
  'loggingdir' => ${php(`${dir}/data/`)},
  'datadir' => ${php(`${dir}/data/`)},
  'tempdir' => ${php(`${dir}/data/`)},
  'metadatadir' => ${php(`${dir}/metadata/`)},
  'technicalcontact_name' => 'Rehearsal tests',
  'technicalcontact_email' => 'na@example.org',
  'timezone' => 'UTC',
  'secretsalt' => 'rehearsal-test-salt-0123456789abcdef',
  'auth.adminpassword' => 'rehearsal-admin-password',
  'admin.protectindexpage' => false,
  'admin.protectmetadata' => false,
  'enable.saml20-idp' => true,
  'logging.level' => SimpleSAML\\Logger::DEBUG,
  'logging.handler' => 'file',
  'logging.logfile' => 'simplesamlphp.log',
  'session.cookie.secure' => false,
  'store.type' => 'phpsession',
  'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true, 'admin' => true],
];
`,
  );
  const user = {
    email: ['alice@acme.com'],
    [`${CLAIMS}/givenname`]: ['Ada'],
    [`${CLAIMS}/surname`]: ['Lovelace'],
  };
  writeFileSync(
    join(dir, 'config', 'authsources.php'),
    `<?php
$config = [
  'admin' => ['core:AdminPassword'],
  'example-userpass' => ['exampleauth:UserPass', 'alice:alice-pass' => json_decode(${php(JSON.stringify(user))}, true)],
  'default-sp' => ['saml:SP', 'entityID' => ${php(spEntityId)}, 'idp' => ${php(remotes.idp?.entityId ?? null)},
    'NameIDPolicy' => ['Format' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', 'AllowCreate' => true]],
];
`,
  );
  writeFileSync(
    join(dir, 'metadata', 'saml20-idp-hosted.php'),
    `<?php
$metadata[${php(idpEntityId)}] = [
  'host' => '__DEFAULT__',
  'privatekey' => 'key.pem',
  'certificate' => 'cert.pem',
  'auth' => 'example-userpass',
  'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'simplesaml.nameidattribute' => 'email',
  'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
  'saml20.sign.assertion' => true,
  'redirect.sign' => true,
  'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
];
`,
  );
  const redirect = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
  const post = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
  writeFileSync(
    join(dir, 'metadata', 'saml20-sp-remote.php'),
    remotes.sp
      ? `<?php
$metadata[${php(remotes.sp.entityId)}] = [
  'AssertionConsumerService' => [['Binding' => ${php(post)}, 'Location' => ${php(remotes.sp.url)}]],
  'SingleLogoutService' => [['Binding' => ${php(redirect)}, 'Location' => ${php(remotes.sp.slo)}]],
  'NameIDFormat' => 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  'simplesaml.nameidattribute' => 'email',
];
`
      : '<?php\n',
  );
  writeFileSync(
    join(dir, 'metadata', 'saml20-idp-remote.php'),
    remotes.idp
      ? `<?php
$metadata[${php(remotes.idp.entityId)}] = [
  'SingleSignOnService' => [['Binding' => ${php(redirect)}, 'Location' => ${php(remotes.idp.url)}]],
  'SingleLogoutService' => [['Binding' => ${php(redirect)}, 'Location' => ${php(remotes.idp.slo)}]],
  'certData' => ${php(remotes.idp.certificate ?? '')},
];
`
      : '<?php\n',
  );
  const server: ChildProcess = spawn('php', ['-S', `127.0.0.1:${port}`, '-t', WWW], {
    env: { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: join(dir, 'config') },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const close = async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await answering(`${url}/saml2/idp/metadata.php`);
  } catch (err) {
    const log = existsSync(join(dir, 'data', 'simplesamlphp.log')) ? readFileSync(join(dir, 'data', 'simplesamlphp.log'), 'utf8').slice(-2000) : '';
    await close();
    throw new Error(`${(err as Error).message}\n${log}`, { cause: err });
  }
  return {
    url,
    idpEntityId,
    spEntityId,
    idpMetadataUrl: `${url}/saml2/idp/metadata.php`,
    spMetadataUrl: `${url}/module.php/saml/sp/metadata.php/default-sp`,
    close,
  };
}

/** Waits (30 s at most) until the URL answers 200: php -S listening and SimpleSAMLphp configured. */
async function answering(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
      last = `${response.status} ${(await response.text()).slice(0, 300)}`;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`SimpleSAMLphp did not start: ${url} answered ${last}`);
}

/** A browser without a screen: follows nothing by itself, keeps cookies per origin, reads and submits forms. */
export class Browser {
  private readonly jars = new Map<string, Map<string, string>>();

  /** `hosts`: the public origins the services publish (localhost:7000, :8000) and where they really listen. */
  constructor(private readonly hosts: Record<string, string> = {}) {}

  async get(url: string): Promise<Response> {
    return this.send(url, { method: 'GET' });
  }

  async post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.send(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  }

  /** Follows redirects from `url` (relative ones against it) until an answer that is not one; returns it and where it came from. */
  async follow(url: string, stopAt?: (location: string) => boolean): Promise<{ response: Response; url: string }> {
    let current = url;
    for (let hops = 0; hops < 15; hops++) {
      const response = await this.get(current);
      const location = response.headers.get('location');
      if (!location || response.status < 300 || response.status >= 400) return { response, url: current };
      current = new URL(location, current).toString();
      if (stopAt?.(current)) return { response, url: current };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  cookie(origin: string, name: string): string | undefined {
    return this.jars.get(origin)?.get(name);
  }

  private async send(published: string, init: RequestInit): Promise<Response> {
    const host = Object.keys(this.hosts).find((h) => published.startsWith(h));
    const url = host ? this.hosts[host] + published.slice(host.length) : published;
    const origin = new URL(url).origin;
    const jar = this.jars.get(origin) ?? new Map<string, string>();
    this.jars.set(origin, jar);
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), ...(cookie ? { cookie } : {}) } });
    for (const set of response.headers.getSetCookie()) {
      const [pair] = set.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      if (/max-age=0|expires=thu, 01[- ]jan[- ]1970/i.test(set) || pair!.slice(eq + 1) === 'deleted') jar.delete(name);
      else jar.set(name, pair!.slice(eq + 1));
    }
    return response;
  }
}

/** The fields and action of the (first) form of a page. */
export function formOf(html: string, base: string): { action: string; fields: Record<string, string> } {
  const unescape = (v: string) =>
    v
      .replace(/&amp;/g, '&')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error(`no form in the page: ${html.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]*)"/i.exec(input[0])?.[1];
    const value = /value="([^"]*)"/i.exec(input[0])?.[1] ?? '';
    if (name) fields[name] = unescape(value);
  }
  return { action: new URL(unescape(form[1]!), base).toString(), fields };
}

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

/** The OASIS SAML 2.0 schemas as Debian ships them (python3-onelogin-saml2), with xmldsig and xenc beside them. */
const SCHEMA_DIR = '/usr/lib/python3/dist-packages/onelogin/saml2/schemas';
export const SCHEMAS = {
  metadata: join(SCHEMA_DIR, 'saml-schema-metadata-2.0.xsd'),
  protocol: join(SCHEMA_DIR, 'saml-schema-protocol-2.0.xsd'),
};

/** Why the schema suite cannot run here, with what to install; undefined when it can. */
export function schemaToolsMissing(): string | undefined {
  if (spawnSync('xmllint', ['--version'], { stdio: 'ignore' }).status !== 0) return 'xmllint is missing: sudo apt-get install -y libxml2-utils';
  if (!existsSync(SCHEMAS.protocol)) return `the OASIS schemas are missing (${SCHEMA_DIR}): sudo apt-get install -y python3-onelogin-saml2`;
  return undefined;
}

/** xmllint's verdict on one document against one schema: valid, or its errors. */
export function validate(xml: string, schema: keyof typeof SCHEMAS): { valid: boolean; errors: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rehearsal-schema-'));
  try {
    const file = join(dir, 'document.xml');
    writeFileSync(file, xml);
    const run = spawnSync('xmllint', ['--noout', '--nonet', '--schema', SCHEMAS[schema], file], { encoding: 'utf8' });
    return { valid: run.status === 0, errors: run.stderr.trim() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The XML of a message on the HTTP-Redirect binding (deflated, base64, in the URL). */
export const redirectXml = (url: string, parameter: 'SAMLRequest' | 'SAMLResponse') =>
  inflateRawSync(Buffer.from(new URL(url).searchParams.get(parameter)!, 'base64')).toString('utf8');
/** The XML of a message on the HTTP-POST binding (base64). */
export const postXml = (value: string) => Buffer.from(value, 'base64').toString('utf8');

import { badRequest, conflict, notFound, unprocessable } from '../reasons.ts';
import { nowIso, type CoreContext } from '../context.ts';
import { insertDirectoryWithDefault } from '../orgs/org-service.ts';
import { requireGuard } from '../orgs/organization.ts';
import type { StoreTx } from '../store/store.ts';
import { requireDirectory, requireOrg } from '../store/lookups.ts';
import { issueScimToken } from '../scim/scim-service.ts';
import { maxIdpDirectories, type Directory, type ScimSettings } from './directory.ts';
import { rateOf } from '../scim/scim-limits.ts';
import { parseCertificate, serviceProviderDetails, serviceProviderUrls, type DisplayNameFromSaml, type SamlConnection } from './saml-connection.ts';
import { fetchIdpMetadata, readIdpMetadata } from './idp-metadata.ts';

export interface SamlConnectionInput {
  idpEntityId: string;
  ssoUrl: string;
  sloUrl?: string;
  certificate: string;
  allowIdpInitiated?: boolean;
  signAuthnRequests?: boolean;
  wantAssertionsSigned?: boolean;
  displayNameFromSaml?: DisplayNameFromSaml;
}

export interface SamlMetadataInput {
  xml?: string;
  url?: string;
  /** A PEM certificate the metadata must be signed with. */
  certificate?: string;
  allowIdpInitiated?: boolean;
  signAuthnRequests?: boolean;
  wantAssertionsSigned?: boolean;
  displayNameFromSaml?: DisplayNameFromSaml;
  /** false: leave the IdP's SLO URL out (no single logout), even when the metadata has one. */
  singleLogout?: boolean;
}

export class DirectoryService {
  constructor(private readonly ctx: CoreContext) {}

  async list(orgId: string) {
    return this.ctx.store.read(async (tx) => {
      await requireOrg(tx, orgId);
      const views = [];
      for (const d of await tx.listDirectories(orgId)) views.push(await this.view(tx, d));
      return views;
    });
  }

  async get(orgId: string, directoryId: string) {
    return this.ctx.store.read(async (tx) => this.view(tx, await requireDirectory(tx, orgId, directoryId)));
  }

  /** A new IdP directory, with its default policy. More than one needs the Enterprise plan. */
  async createIdp(orgId: string, name: string) {
    return this.ctx.store.transaction(async (tx) => {
      const org = await requireOrg(tx, orgId);
      requireGuard(org, 'SAML single sign-on and user provisioning');
      const directories = await tx.listDirectories(orgId);
      const idpCount = directories.filter((d) => d.kind === 'idp').length;
      if (idpCount >= maxIdpDirectories(org.plan)) {
        throw conflict(
          'idp-directory-limit',
          `The ${org.plan} plan allows ${maxIdpDirectories(org.plan)} identity provider connection(s); several need the Enterprise plan.`,
        );
      }
      if (directories.some((d) => d.name === name))
        throw conflict('directory-name-taken', `A directory named "${name}" exists.`, [{ path: 'body.name', message: 'already taken' }]);
      const { directory } = await insertDirectoryWithDefault(tx, this.ctx, orgId, 'idp', name);
      const token = await issueScimToken(tx, directory.id);
      const view = await this.view(tx, directory);
      // The SCIM token is shown this once; only its hash is kept.
      return { ...view, scim: { ...view.scim, token } };
    });
  }

  /** A new SCIM token; the old one stops working at once. */
  async rotateScimToken(orgId: string, directoryId: string) {
    return this.ctx.store.transaction(async (tx) => {
      const directory = await this.requireIdp(tx, orgId, directoryId);
      return { directoryId, baseUrl: this.scimBaseUrl(directory.id), token: await issueScimToken(tx, directory.id) };
    });
  }

  /** Changes how the SCIM server answers; what the change leaves out stays as it was. */
  async setScimSettings(orgId: string, directoryId: string, changes: Partial<ScimSettings>) {
    return this.ctx.store.transaction(async (tx) => {
      const directory = await this.requireIdp(tx, orgId, directoryId);
      const settings: ScimSettings = {
        scimFidelity: changes.scimFidelity ?? directory.scimFidelity,
        scimRateLimit: changes.scimRateLimit === undefined ? directory.scimRateLimit : changes.scimRateLimit,
      };
      await tx.setScimSettings(directoryId, settings);
      return this.view(tx, { ...directory, ...settings });
    });
  }

  private async requireIdp(tx: StoreTx, orgId: string, directoryId: string) {
    const directory = await requireDirectory(tx, orgId, directoryId);
    if (directory.kind !== 'idp')
      throw unprocessable('scim-requires-idp-directory', 'SCIM provisioning belongs to an identity provider directory, not the local one.');
    return directory;
  }

  private scimBaseUrl(directoryId: string) {
    return `${this.ctx.publicUrl}/scim/directory/${directoryId}`;
  }

  async setSaml(orgId: string, directoryId: string, input: SamlConnectionInput) {
    const parsed = parseCertificate(input.certificate);
    if ('error' in parsed)
      throw badRequest('invalid-certificate', `The IdP certificate is not usable: ${parsed.error}.`, [
        { path: 'body.certificate', message: parsed.error, expected: 'a PEM X.509 certificate' },
      ]);
    return this.ctx.store.transaction(async (tx) => {
      const directory = await requireDirectory(tx, orgId, directoryId);
      if (directory.kind !== 'idp')
        throw unprocessable('saml-requires-idp-directory', 'A SAML connection belongs to an identity provider directory, not the local one.');
      const existing = await tx.getConnectionByDirectory(directoryId);
      const now = nowIso(this.ctx);
      const connection: SamlConnection = {
        // The directory's id: the SP details shown before the connection existed stay true (serviceProviderDetails).
        id: existing?.id ?? directoryId,
        directoryId,
        idpEntityId: input.idpEntityId,
        ssoUrl: input.ssoUrl,
        sloUrl: input.sloUrl ?? null,
        certificate: parsed.pem,
        allowIdpInitiated: input.allowIdpInitiated ?? false,
        signAuthnRequests: input.signAuthnRequests ?? false,
        wantAssertionsSigned: input.wantAssertionsSigned ?? true,
        displayNameFromSaml: input.displayNameFromSaml ?? existing?.displayNameFromSaml ?? 'given-family',
        lastLoginAt: existing?.lastLoginAt ?? null,
        createdAt: existing?.createdAt ?? now,
        updatedAt: now,
      };
      await tx.upsertConnection(connection);
      return this.connectionView(connection);
    });
  }

  /**
   * Imports an IdP's metadata (XML or URL) into the directory's connection:
   * entity ID, Redirect SSO and SLO URLs, the signing certificate, and whether
   * it wants signed requests; the metadata's signature is checked when a
   * certificate is given. The settings given win over what the metadata says.
   */
  async importSamlMetadata(orgId: string, directoryId: string, input: SamlMetadataInput) {
    await this.ctx.store.read(async (tx) => {
      const directory = await requireDirectory(tx, orgId, directoryId);
      if (directory.kind !== 'idp')
        throw unprocessable('saml-requires-idp-directory', 'A SAML connection belongs to an identity provider directory, not the local one.');
    });
    const xml = input.xml ?? (await fetchIdpMetadata(input.url!));
    const idp = readIdpMetadata(xml, { verifyWith: input.certificate, now: this.ctx.clock.now() });
    const connection = await this.setSaml(orgId, directoryId, {
      idpEntityId: idp.idpEntityId,
      ssoUrl: idp.ssoUrl,
      ...(idp.sloUrl && input.singleLogout !== false ? { sloUrl: idp.sloUrl } : {}),
      certificate: idp.certificates[0]!,
      allowIdpInitiated: input.allowIdpInitiated,
      signAuthnRequests: input.signAuthnRequests ?? idp.wantsSignedRequests,
      wantAssertionsSigned: input.wantAssertionsSigned,
      displayNameFromSaml: input.displayNameFromSaml,
    });
    return { ...connection, imported: { certificates: idp.certificates.length, metadataSignatureVerified: idp.signatureVerified } };
  }

  /** The SP details to enter at the IdP: known before the connection is configured. */
  async serviceProvider(orgId: string, directoryId: string) {
    return this.ctx.store.read(async (tx) => {
      const directory = await requireDirectory(tx, orgId, directoryId);
      if (directory.kind !== 'idp')
        throw unprocessable('saml-requires-idp-directory', 'A SAML connection belongs to an identity provider directory, not the local one.');
      const connection = await tx.getConnectionByDirectory(directoryId);
      return serviceProviderDetails(this.ctx.gatewayUrl, connection?.id ?? directoryId, connection);
    });
  }

  async getSaml(orgId: string, directoryId: string) {
    return this.ctx.store.read(async (tx) => {
      await requireDirectory(tx, orgId, directoryId);
      const connection = await tx.getConnectionByDirectory(directoryId);
      if (!connection) throw notFound('saml-connection-not-found', `Directory ${directoryId} has no SAML connection.`);
      return this.connectionView(connection);
    });
  }

  async deleteSaml(orgId: string, directoryId: string) {
    await this.ctx.store.transaction(async (tx) => {
      await requireDirectory(tx, orgId, directoryId);
      if (!(await tx.getConnectionByDirectory(directoryId))) throw notFound('saml-connection-not-found', `Directory ${directoryId} has no SAML connection.`);
      await tx.deleteConnection(directoryId);
    });
  }

  /** What the admin pastes into the IdP is shown back here: the SP entity ID and the ACS URL. */
  connectionView(connection: SamlConnection) {
    const parsed = parseCertificate(connection.certificate);
    return {
      ...connection,
      ...serviceProviderUrls(this.ctx.gatewayUrl, connection.id),
      certificateInfo: 'info' in parsed ? parsed.info : null,
    };
  }

  private async view(tx: StoreTx, directory: Directory) {
    const connection = await tx.getConnectionByDirectory(directory.id);
    const defaultPolicy = await tx.getDefaultPolicy(directory.id);
    const linkedDomains = (await tx.listDomains(directory.orgId)).filter((d) => d.directoryId === directory.id).map((d) => d.name);
    return {
      ...directory,
      defaultPolicyId: defaultPolicy?.id ?? null,
      linkedDomains,
      saml: connection ? this.connectionView(connection) : null,
      scim: directory.kind === 'idp' ? await this.scimView(tx, directory) : null,
    };
  }

  private async scimView(tx: StoreTx, directory: Directory) {
    const limits = directory.scimFidelity === 'atlassian' ? this.ctx.scimLimits : null;
    return {
      baseUrl: this.scimBaseUrl(directory.id),
      fidelity: directory.scimFidelity,
      users: await tx.countScimUsers(directory.id),
      // What the server enforces now, whichever setting it comes from.
      rateLimit: rateOf(directory),
      limits: limits && { usersPerDirectory: limits.usersPerDirectory, membersPerGroup: limits.membersPerGroup },
    };
  }
}

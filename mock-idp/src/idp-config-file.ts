import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { describeIssues } from '@rehearsal/runtime';
import type { DirectoryContent } from './directory/directory.ts';
import type { ServiceProviderInput } from './service-providers/service-provider.ts';

const fileShape = z
  .object({
    users: z.array(z.unknown()).default([]),
    groups: z.array(z.unknown()).default([]),
    serviceProviders: z.array(z.unknown()).default([]),
    faults: z.array(z.unknown()).default([]),
    provisioning: z.array(z.unknown()).default([]),
  })
  .strict();

export interface IdpFileContent {
  directory: DirectoryContent;
  serviceProviders: ServiceProviderInput[];
  /** Fault rules (see /api/faults), validated when the IdP loads them. */
  faultRules: unknown[];
  /** SCIM provisioning targets (see /api/provisioning/targets). */
  provisioning: unknown[];
}

/** Reads the IdP's configuration file (YAML, which includes JSON); entries are validated when loaded. */
export function readIdpFile(path: string): IdpFileContent {
  const parsed = fileShape.safeParse(parse(readFileSync(path, 'utf8')) ?? {});
  if (!parsed.success) {
    const first = describeIssues(parsed.error.issues, '')[0];
    throw new Error(`${path}: ${first?.path || '(top)'}: ${first?.message}`);
  }
  return {
    directory: { users: parsed.data.users as DirectoryContent['users'], groups: parsed.data.groups as DirectoryContent['groups'] },
    serviceProviders: parsed.data.serviceProviders as ServiceProviderInput[],
    faultRules: parsed.data.faults,
    provisioning: parsed.data.provisioning,
  };
}

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceClient, start, type Stack } from '@rehearsal/cli';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const scenarioPath = (name: string) => (name.includes('/') ? join(ROOT, name) : join(ROOT, 'e2e', 'scenarios', name));

export interface E2eStack extends Stack {
  core: ServiceClient;
  idp: ServiceClient;
  gateway: ServiceClient;
  org: string;
  policy(name: string): string;
}

/** The three services as separate processes on loopback, with a scenario applied; clients for each. */
export async function startProcesses(scenario: string): Promise<E2eStack> {
  const stack = await start({ scenario: scenarioPath(scenario), mode: 'processes' });
  return Object.assign(stack, {
    core: new ServiceClient('core', stack.urls.core, stack.credentials.coreAdminKey),
    idp: new ServiceClient('mock-idp', stack.urls.idp),
    gateway: new ServiceClient('gateway', stack.urls.gateway),
    org: `/api/orgs/${stack.applied!.orgId}`,
    policy: (name: string) => stack.applied!.policies.find((p) => p.name === name)!.id,
  });
}

/** A product page through the gateway, with a session cookie. */
export const product = (stack: Stack, path: string, cookie: string | undefined) =>
  new ServiceClient('gateway', stack.urls.gateway).send<any>('GET', path, undefined, cookie ? { cookie } : {});

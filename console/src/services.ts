import { ServiceClient, StackClock } from '@rehearsal/runtime/client';

export interface ServiceUrls {
  core: string;
  idp: string;
  gateway: string;
}

export interface ServiceKeys {
  coreAdmin: string;
  gatewayAdmin: string;
  harness: string;
}

/** The three services as the console reaches them: over their HTTP APIs only, each with its key. */
export interface Services {
  urls: ServiceUrls;
  core: ServiceClient;
  idp: ServiceClient;
  gateway: ServiceClient;
  /** Every service's harness clock, moved together. */
  clock: StackClock;
}

export function servicesOf(urls: ServiceUrls, keys: ServiceKeys): Services {
  return {
    urls,
    core: new ServiceClient('core', urls.core, keys.coreAdmin),
    idp: new ServiceClient('mock IdP', urls.idp, keys.harness),
    gateway: new ServiceClient('gateway', urls.gateway, keys.gatewayAdmin),
    clock: new StackClock([
      new ServiceClient('core', urls.core, keys.harness),
      new ServiceClient('idp', urls.idp, keys.harness),
      new ServiceClient('gateway', urls.gateway, keys.harness),
    ]),
  };
}

import { z } from 'zod';
import { env, parseEnv } from '@rehearsal/runtime';

/** The mock IdP's configuration, from environment variables only (see main.ts). */
const idpEnv = z.object({
  IDP_PORT: env.port(7000),
  IDP_HOST: env.text('127.0.0.1'),
  IDP_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  IDP_ENTITY_ID: env.optionalText(),
  REHEARSAL_DATA_DIR: env.text('.rehearsal'),
  /** A JSON or YAML file with `users`, `groups` and `serviceProviders`. */
  IDP_CONFIG: env.optionalText(),
  IDP_SIGNING_KEY: env.optionalText(),
  IDP_SIGNING_CERT: env.optionalText(),
  /** A certificate staged for rollover: published in metadata beside the signing one. */
  IDP_NEXT_CERT: env.optionalText(),
  /** Where users, groups, SPs, fault rules and provisioning targets are kept across restarts, or `:memory:`. */
  IDP_STATE: env.optionalText(),
  /** Redis for all of that and the IDP's sessions and pending logins (`redis://host:port`): several IdPs can share it. IDP_STATE is then unused. */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'expected a redis:// URL' }).optional(),
  /** The prefix of this stack's keys in Redis (`<namespace>:idp:`). */
  REDIS_NAMESPACE: env.redisNamespace(),
  /** The other replicas of the IdP (their own URLs): harness calls (clock, reset) reach each of them too. */
  REHEARSAL_SIBLINGS: env.urls(),
  REHEARSAL_HARNESS: env.flag(true),
  REHEARSAL_HARNESS_KEY: env.key(),
  LOG_LEVEL: env.logLevel(),
});

export type IdpConfig = z.output<typeof idpEnv>;

export const readIdpConfig = (source: NodeJS.ProcessEnv): IdpConfig => parseEnv(idpEnv, source);

import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Output } from '../output.ts';
import { UsageError } from '../output.ts';
import { readStackFile, type StackFile } from '../stack/stack-file.ts';
import { ServiceClient } from '@rehearsal/runtime/client';

export interface CommandContext {
  out: Output;
  /** Where `up` keeps keys, core's database and stack.json. */
  dataDir: string;
}

export type Command = (args: string[], ctx: CommandContext) => Promise<number>;

/** Parses a command's own options; unknown options and missing values are usage errors. */
export function options<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], spec: T, positionals = { min: 0, max: 0 }) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: spec, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length < positionals.min) throw new UsageError(`missing argument (expected ${positionals.min})`);
  if (parsed.positionals.length > positionals.max) throw new UsageError(`unexpected argument "${parsed.positionals[positionals.max]}"`);
  return parsed;
}

/** The running stack (from `up`'s stack.json) with clients for its services. */
export function runningStack(ctx: CommandContext): StackFile & { core: ServiceClient; idp: ServiceClient; gateway: ServiceClient; orgId: string } {
  const state = readStackFile(ctx.dataDir);
  return {
    ...state,
    core: new ServiceClient('core', state.urls.core, state.credentials.coreAdminKey),
    idp: new ServiceClient('mock-idp', state.urls.idp),
    gateway: new ServiceClient('gateway', state.urls.gateway),
    get orgId() {
      if (!state.applied) throw new UsageError('The stack was started without a scenario: apply one with `rehearsal scenario apply FILE`.');
      return state.applied.orgId;
    },
  };
}

import { applyScenario } from '../scenario/apply.ts';
import { readScenarioFile } from '../scenario/scenario-file.ts';
import { expand } from '../scenario/references.ts';
import { resetServices } from '../stack/stack.ts';
import { readStackFile, writeStackFile } from '../stack/stack-file.ts';
import { EXIT, UsageError } from '../output.ts';
import { options, type Command } from './context.ts';

/** `scenario validate FILE` and `scenario apply FILE [--keep]`. */
export const scenarioCommand: Command = async (args, ctx) => {
  const [verb, ...rest] = args;
  if (verb === 'validate') {
    const { positionals } = options(rest, {}, { min: 1, max: 1 });
    const s = readScenarioFile(positionals[0]!);
    const summary = {
      file: positionals[0],
      valid: true,
      organization: s.organization.name,
      domains: s.domains.length,
      idpUsers: expand(s.idp?.users ?? []).length,
      idpGroups: s.idp?.groups.length ?? 0,
      accounts: expand(s.accounts).length,
      policies: s.policies.length,
    };
    ctx.out.result(summary, () =>
      ctx.out.say(
        `${positionals[0]}: valid (${summary.organization}: ${summary.domains} domains, ${summary.idpUsers} IdP users in ${summary.idpGroups} groups, ${summary.accounts} accounts, ${summary.policies} policies)`,
      ),
    );
    return EXIT.ok;
  }
  if (verb === 'apply') {
    const { positionals, values } = options(rest, { keep: { type: 'boolean' } }, { min: 1, max: 1 });
    const s = readScenarioFile(positionals[0]!);
    const state = readStackFile(ctx.dataDir);
    // A scenario describes the whole world: start from empty unless told to add to what is there.
    if (!values.keep) await resetServices(state.urls, state.credentials.harnessKey);
    const applied = await applyScenario(s, { urls: state.urls, coreAdminKey: state.credentials.coreAdminKey }, ctx.out.progress);
    ctx.out.endProgress();
    writeStackFile({ ...state, applied, scenario: positionals[0]! });
    ctx.out.result(applied, () => ctx.out.say(`Applied ${positionals[0]}: organization ${applied.orgId}, ${applied.policies.length} policies.`));
    return EXIT.ok;
  }
  throw new UsageError('usage: rehearsal scenario validate|apply FILE');
};

import { applyScenario } from '../scenario/apply.ts';
import { readScenarioFile } from '../scenario/scenario-file.ts';
import { resetServices } from '../stack/stack.ts';
import { readStackFile, writeStackFile } from '../stack/stack-file.ts';
import { EXIT } from '../output.ts';
import { options, type Command } from './context.ts';

/** `reset [--empty]`: every service back to empty, clocks to real time, then the scenario `up` started with applied again. */
export const resetCommand: Command = async (args, ctx) => {
  const { values } = options(args, { empty: { type: 'boolean' } });
  const stack = readStackFile(ctx.dataDir);
  await resetServices(stack.urls, stack.credentials.harnessKey);
  const scenario = values.empty ? null : stack.scenario;
  const applied = scenario
    ? await applyScenario(readScenarioFile(scenario), { urls: stack.urls, coreAdminKey: stack.credentials.coreAdminKey }, ctx.out.progress)
    : null;
  ctx.out.endProgress();
  writeStackFile({ ...stack, applied, scenario });
  ctx.out.result({ reset: true, scenario, applied }, () => ctx.out.say(scenario ? `Reset, and ${scenario} applied again.` : 'Reset: every service is empty.'));
  return EXIT.ok;
};

import { StackClock } from '@rehearsal/runtime/client';
import { harnessClients } from '../stack/stack.ts';
import { EXIT, UsageError, table } from '../output.ts';
import { options, runningStack, type Command } from './context.ts';

/** `clock show`, `clock advance 31m`, `clock freeze [ISO]`, `clock unfreeze`: every service's clock at once. */
export const clockCommand: Command = async (args, ctx) => {
  const [verb, ...rest] = args;
  const stack = runningStack(ctx);
  const clock = new StackClock(harnessClients(stack.urls, stack.credentials.harnessKey));
  let states;
  if (verb === 'show') {
    options(rest, {});
    states = await clock.show();
  } else if (verb === 'advance') {
    const { positionals } = options(rest, {}, { min: 1, max: 1 });
    states = await clock.advance(positionals[0]!);
  } else if (verb === 'freeze') {
    const { positionals } = options(rest, {}, { min: 0, max: 1 });
    const at = positionals[0] ? new Date(positionals[0]) : undefined;
    if (at && Number.isNaN(at.getTime())) throw new UsageError(`"${positionals[0]}" is not an ISO 8601 instant`);
    states = await clock.freeze(at);
  } else if (verb === 'unfreeze') {
    options(rest, {});
    states = await clock.unfreeze();
  } else {
    throw new UsageError('usage: rehearsal clock show|advance DURATION|freeze [ISO]|unfreeze');
  }
  ctx.out.result(states, () =>
    ctx.out.say(
      table(
        Object.entries(states).map(([service, s]) => ({ service, now: s.now, frozen: s.frozen, offset: `${Math.round(s.offsetMs / 1000)}s` })),
        ['service', 'now', 'frozen', 'offset'],
      ),
    ),
  );
  return EXIT.ok;
};

import { productEffects, type ProvisioningCycle, type ProvisioningPlan } from '@rehearsal/runtime/client';
import { PROVISIONING_TARGET } from '../scenario/apply.ts';
import { EXIT, UsageError, table } from '../output.ts';
import { options, runningStack, type Command } from './context.ts';

/** `provision plan [--initial]`: what the next cycle would send; `provision run [--initial]`: run it, with progress. */
export const provisionCommand: Command = async (args, ctx) => {
  const [verb, ...rest] = args;
  const { values } = options(rest, { initial: { type: 'boolean' }, target: { type: 'string' }, all: { type: 'boolean' } });
  const stack = runningStack(ctx);
  const target = values.target ?? stack.applied?.provisioningTarget ?? PROVISIONING_TARGET;
  const kind = values.initial ? 'initial' : 'incremental';
  if (verb === 'plan') {
    const plan = await stack.idp.call<ProvisioningPlan>('POST', `/api/provisioning/targets/${encodeURIComponent(target)}/plan`, { kind });
    const directoryId = stack.applied?.directories.find((d) => d.scim)?.id;
    const effects = await productEffects(plan, stack.core, stack.applied?.orgId, directoryId);
    ctx.out.result({ ...plan, productOverwrites: effects.overwrites, unlinks: effects.unlinks }, () => {
      const users = plan.users.filter((u) => values.all || u.operation !== 'none');
      const rows = users.flatMap((u) => {
        const changed = u.attributes.filter((a) => a.change !== 'unchanged');
        if (!changed.length) return [{ user: u.user, operation: u.operation }];
        return changed.map((a, i) => ({
          user: i ? '' : u.user,
          operation: i ? '' : u.operation,
          attribute: a.path,
          change: a.change,
          now: a.current ?? '',
          after: a.desired ?? '',
        }));
      });
      ctx.out.say(
        `Plan for target ${target} (${kind}): ${
          Object.entries(plan.summary)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'nothing to do'
        }`,
      );
      if (rows.length) ctx.out.say(table(rows, ['user', 'operation', 'attribute', 'change', 'now', 'after']));
      const overwrites = users.flatMap((u) => u.attributes.filter((a) => a.change === 'overwrite').map((a) => `${u.user} ${a.path}`));
      if (overwrites.length) ctx.out.say(`\n${overwrites.length} value(s) edited in the product since the IdP last sent them would be overwritten.`);
      if (effects.overwrites.length) {
        ctx.out.say(`\nProduct values the IdP's values replace (its plan compares with what it sent, not with the product):`);
        ctx.out.say(
          table(
            effects.overwrites.map((o) => ({
              user: o.user,
              field: o.field,
              product: o.product,
              'written by': o.writtenBy ?? '?',
              idp: o.idp,
              when: o.when === 'this-cycle' ? 'this cycle' : "at the IdP's next write",
            })),
            ['user', 'field', 'product', 'written by', 'idp', 'when'],
          ),
        );
      }
      const softDeleted = plan.users.filter((u) => u.operation === 'deprovision' && u.deleteAfter);
      for (const u of softDeleted)
        ctx.out.say(`\n${u.user}: deleted at the IdP, so disabled now; its SCIM DELETE follows once the soft-delete period ends (${u.deleteAfter}).`);
      for (const u of effects.unlinks)
        ctx.out.say(
          `\n${u.user}: the email moves to ${u.to}, on no verified domain: the account is unlinked from its SCIM user (its synced groups go) and keeps ${u.from}.`,
        );
      const groups = plan.groups.filter((g) => g.operation !== 'none');
      if (groups.length)
        ctx.out.say(
          '\n' +
            table(
              groups.map((g) => ({ group: g.group, operation: g.operation, add: g.addMembers.length, remove: g.removeMembers.length })),
              ['group', 'operation', 'add', 'remove'],
            ),
        );
    });
    return EXIT.ok;
  }
  if (verb === 'run') {
    const started = await stack.idp.call<ProvisioningCycle>('POST', `/api/provisioning/targets/${encodeURIComponent(target)}/cycles`, { kind });
    let cycle = started;
    // Progress comes from the cycle itself (done/total and phase); the CLI polls it.
    while (cycle.status === 'running') {
      ctx.out.progress(`provisioning (${cycle.phase})`, cycle.done, cycle.total);
      await new Promise((resolve) => setTimeout(resolve, 200));
      cycle = await stack.idp.call<ProvisioningCycle>('GET', `/api/provisioning/targets/${encodeURIComponent(target)}/cycles/${cycle.id}`);
    }
    ctx.out.endProgress();
    ctx.out.result(cycle, () => {
      ctx.out.say(
        `Cycle ${cycle.id} (${cycle.kind}) ${cycle.status}: ${cycle.reads} reads, ${cycle.writes} writes${
          Object.keys(cycle.counts).length
            ? `; ${Object.entries(cycle.counts)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ')}`
            : ''
        }`,
      );
      for (const f of cycle.failures) ctx.out.say(`  failed: ${f.user ?? f.group} ${f.status} ${f.reason}`);
      if (cycle.error) ctx.out.say(`  ${cycle.error}`);
    });
    return cycle.status === 'succeeded' ? EXIT.ok : EXIT.refused;
  }
  throw new UsageError('usage: rehearsal provision plan|run [--initial] [--target ID]');
};

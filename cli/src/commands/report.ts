import { parseDuration } from '@rehearsal/runtime';
import { policySettings } from '../scenario/policy-settings.ts';
import { EXIT, UsageError, table } from '../output.ts';
import type { AccountPreview, BillingReport, ErrorAnswer, RolloutPreview } from '@rehearsal/runtime/client';
import { options, runningStack, type Command } from './context.ts';

const SETTING_KEYS = ['sso', 'twoStep', 'idleSession', 'sessionExpiry', 'billable'] as const;

/** What the LOCKED column says: only a lock-out is one; an account that could not log in before is shown apart. */
const lockedColumn = (a: AccountPreview) =>
  a.category === 'locked-out'
    ? `LOCKED OUT: ${a.lockOutReasons.map((r) => r.code).join(', ')}`
    : a.category === 'already-inactive'
      ? '(already inactive)'
      : a.category === 'already-locked-out'
        ? '(could not log in before either)'
        : '';

/**
 * `report billing [--accounts]`, `report policies`, and
 * `report rollout POLICY [--add EMAILS] [--set key=value,...] [--apply]`: the
 * rollout preview of moving people into a policy and/or changing its settings,
 * and with --apply the change itself when the preview is clean.
 */
export const reportCommand: Command = async (args, ctx) => {
  const [what, ...rest] = args;
  const stack = runningStack(ctx);
  const org = `/api/orgs/${stack.orgId}`;

  if (what === 'billing') {
    const { values } = options(rest, { accounts: { type: 'boolean' } });
    const billing = await stack.core.call<BillingReport>('GET', `${org}/billing?accounts=${values.accounts ? 'true' : 'false'}`);
    ctx.out.result(billing, () => {
      ctx.out.say(`Billable users: ${billing.billableCount}   estimate $${billing.estimate.monthly}/month (${billing.estimate.basis})`);
      if (billing.ifSubscribed)
        ctx.out.say(
          `No Atlassian Guard subscription: nothing is billed for it. With one, ${billing.ifSubscribed.billableCount} users would be ($${billing.ifSubscribed.monthly}/month).`,
        );
      ctx.out.say(
        table(
          Object.entries(billing.byReason).map(([reason, count]) => ({ reason, count })),
          ['reason', 'count'],
        ),
      );
      if (values.accounts) ctx.out.say('\n' + table(billing.accounts ?? [], ['email', 'billable', 'reason', 'products']));
    });
    return EXIT.ok;
  }

  if (what === 'policies') {
    options(rest, {});
    const [policies, directories] = await Promise.all([
      stack.core.call<({ directoryId: string; isDefault: boolean; idleMinutes: number; memberCount?: number; members?: unknown } & Record<string, unknown>)[]>(
        'GET',
        `${org}/policies`,
      ),
      stack.core.call<{ id: string; name: string }[]>('GET', `${org}/directories`),
    ]);
    const directoryName = new Map(directories.map((d) => [d.id, d.name]));
    ctx.out.result(policies, () =>
      ctx.out.say(
        table(
          policies.map((p) => ({
            ...p,
            directory: directoryName.get(p.directoryId),
            default: p.isDefault ? 'yes' : '',
            idle: `${p.idleMinutes}m`,
            members: p.memberCount ?? p.members,
          })),
          ['name', 'directory', 'default', 'sso', 'twoStep', 'idle', 'billable', 'members'],
        ),
      ),
    );
    return EXIT.ok;
  }

  if (what === 'rollout') {
    const { values, positionals } = options(rest, { add: { type: 'string' }, set: { type: 'string' }, apply: { type: 'boolean' } }, { min: 1, max: 1 });
    const policies = await stack.core.call<{ id: string; name: string }[]>('GET', `${org}/policies`);
    const policy = policies.find((p) => p.name === positionals[0] || p.id === positionals[0]);
    if (!policy) throw new UsageError(`No policy named "${positionals[0]}" (there are: ${policies.map((p) => p.name).join(', ')})`);
    const addMembers = values.add
      ? values.add
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean)
      : undefined;
    const settings = values.set ? parseSettings(values.set) : undefined;
    const change = { ...(addMembers ? { addMembers } : {}), ...(settings ? { settings } : {}) };
    const preview = await stack.core.call<RolloutPreview>('POST', `${org}/policies/${policy.id}/preview`, change);
    // Scripts gate a rollout on this: anyone locked out, a warning, or someone who cannot move.
    const blocked = preview.summary.lockedOut > 0 || preview.warnings.length > 0 || preview.refused.length > 0;
    // --apply asks core to make the change as previewed; core makes it only when nothing blocks it, in one transaction.
    let applied = false;
    let refusal: string | undefined;
    if (values.apply) {
      const answer = await stack.core.send<ErrorAnswer>('POST', `${org}/policies/${policy.id}/rollout`, change);
      applied = answer.status === 200;
      if (!applied) refusal = answer.body?.error?.message ?? `core answered ${answer.status}`;
    }
    ctx.out.result({ ...preview, applied }, () => {
      const s = preview.summary;
      const apart = [
        s.alreadyInactive ? `${s.alreadyInactive} already inactive` : '',
        s.alreadyLockedOut ? `${s.alreadyLockedOut} could not log in before either` : '',
      ]
        .filter(Boolean)
        .join(', ');
      ctx.out.say(
        `Rollout preview for "${policy.name}": ${s.affected} affected, ${s.lockedOut} locked out${apart ? ` (${apart})` : ''}; billable ${preview.billing.before} -> ${preview.billing.after}`,
      );
      ctx.out.say(
        table(
          preview.accounts.map((a) => ({
            email: `${a.email}${a.admin ? ' (admin)' : ''}`,
            why: a.why,
            before: `${a.before.method ?? 'none'} (${a.before.reason})`,
            after: `${a.after.method ?? 'none'} (${a.after.reason})`,
            next: a.after.nextLogin,
            locked: lockedColumn(a),
          })),
          ['email', 'why', 'before', 'after', 'next', 'locked'],
        ),
      );
      for (const w of preview.adminWarnings) ctx.out.say(`!!! ADMIN ${w.code}: ${w.message}`);
      for (const w of preview.warnings) ctx.out.say(`warning ${w.code}: ${w.message}`);
      for (const r of preview.refused) ctx.out.say(`cannot move ${r.email} (${r.code}): ${r.message}`);
      if (applied) ctx.out.say(`Applied to "${policy.name}": it takes effect at each person's next login.`);
      else if (values.apply) ctx.out.say(`Not applied: ${refusal}`);
    });
    return blocked || (values.apply && !applied) ? EXIT.refused : EXIT.ok;
  }
  throw new UsageError('usage: rehearsal report billing [--accounts] | policies | rollout POLICY [--add EMAILS] [--set sso=enforced,idleSession=1h] [--apply]');
};

/** `sso=enforced,idleSession=1h,billable=false` in the scenario file's terms, as core's settings. */
function parseSettings(text: string) {
  const given: Record<string, unknown> = {};
  for (const pair of text.split(',')) {
    const [key, value] = pair.split('=').map((s) => s.trim());
    if (!key || value === undefined || !(SETTING_KEYS as readonly string[]).includes(key))
      throw new UsageError(`--set takes ${SETTING_KEYS.join(', ')} as key=value pairs, not "${pair}"`);
    if ((key === 'idleSession' || (key === 'sessionExpiry' && value !== 'none')) && !parseDuration(value))
      throw new UsageError(`--set ${key}: "${value}" is not a duration (for example 1h or 30d)`);
    given[key] = key === 'billable' ? value === 'true' : value === 'none' ? null : value;
  }
  return policySettings(given);
}

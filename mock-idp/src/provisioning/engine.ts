import { IDP_REASONS } from '../reasons.ts';
import { pool, timeOrderedId, type Clock } from '@rehearsal/runtime';
import { conflict, notFound } from '../reasons.ts';
import type { Directory } from '../directory/directory.ts';
import type { Cycle, CycleKind, Plan } from './cycle.ts';
import { Executor } from './executor.ts';
import { Planner } from './planner.ts';
import type { ProvisioningLog } from './provisioning-log.ts';
import type { Sleep } from './scim-client.ts';
import type { ProvisioningTarget } from './target.ts';
import { QuarantineSignal, TargetSession } from './target-session.ts';

export type { Cycle, CycleKind, GroupPlan, Plan, UserPlan } from './cycle.ts';

export interface EngineDependencies {
  directory: Directory;
  log: ProvisioningLog;
  clock: Clock;
  sleep: Sleep;
}

/**
 * Provisioning cycles: plan (reads only) then execute (writes), so that a dry
 * run shows exactly what the real cycle will do. Each vendor profile decides
 * the wire format; the engine decides what needs to change.
 */
export class ProvisioningEngine {
  private readonly cycles = new Map<string, Cycle[]>();
  private readonly planner: Planner;
  private readonly executor: Executor;

  constructor(private readonly deps: EngineDependencies) {
    this.planner = new Planner(deps);
    this.executor = new Executor(deps);
  }

  listCycles(target: string): Cycle[] {
    return this.cycles.get(target) ?? [];
  }

  getCycle(target: string, id: string): Cycle {
    const cycle = this.listCycles(target).find((c) => c.id === id);
    if (!cycle) throw notFound('cycle-not-found', `No cycle ${id} for target ${target}.`);
    return cycle;
  }

  forget(target: string): void {
    this.cycles.delete(target);
  }

  /** A dry run: reads the target, writes nothing, remembers nothing. */
  async plan(target: ProvisioningTarget, kind: CycleKind, userKey?: string): Promise<Plan> {
    if (userKey !== undefined) this.deps.directory.getUser(userKey);
    const session = this.session(target);
    try {
      return await this.planner.makePlan(session, kind, userKey);
    } catch (err) {
      // A target that refuses the token is misconfigured (422); one that does not answer is a bad gateway (502).
      if (err instanceof QuarantineSignal) {
        const refused = /refused the token/.test(err.message);
        throw IDP_REASONS.error(refused ? 'target-token-refused' : 'target-unavailable', `The plan could not read the target: ${err.message}.`, {
          status: refused ? 422 : 502,
        });
      }
      throw err;
    } finally {
      session.close();
    }
  }

  /** Starts a cycle; `finished` settles when it ends (it never rejects: the cycle records its failure). */
  start(target: ProvisioningTarget, kind: CycleKind, userKey?: string): { cycle: Cycle; finished: Promise<Cycle> } {
    if (target.quarantine)
      throw conflict(
        'target-quarantined',
        `Target ${target.config.id} is in quarantine: ${target.quarantine.reason}. Fix the target, then DELETE its quarantine.`,
      );
    if (target.running) throw conflict('cycle-running', `Cycle ${target.running} is still running on target ${target.config.id}.`);
    if (userKey !== undefined) this.deps.directory.getUser(userKey);
    const cycle: Cycle = {
      id: timeOrderedId(),
      target: target.config.id,
      kind,
      status: 'running',
      phase: 'planning',
      startedAt: this.deps.clock.now().toISOString(),
      total: 0,
      done: 0,
      reads: 0,
      writes: 0,
      counts: {},
      failures: [],
    };
    const history = this.cycles.get(target.config.id) ?? [];
    history.push(cycle);
    if (history.length > 50) history.shift();
    this.cycles.set(target.config.id, history);
    target.running = cycle.id;
    const finished = this.run(target, cycle, userKey).finally(() => {
      target.running = undefined;
      cycle.phase = 'done';
      cycle.finishedAt = this.deps.clock.now().toISOString();
    });
    return { cycle, finished };
  }

  private session(target: ProvisioningTarget, cycle?: Cycle): TargetSession {
    return new TargetSession(target, cycle, this.deps.log, this.deps.clock, this.deps.sleep);
  }

  private async run(target: ProvisioningTarget, cycle: Cycle, userKey?: string): Promise<Cycle> {
    const session = this.session(target, cycle);
    try {
      const plan = await this.planner.makePlan(session, cycle.kind, userKey);
      cycle.phase = 'writing';
      cycle.total = plan.users.filter((u) => u.request || u.operation === 'link').length + plan.groups.filter((g) => g.operation !== 'none').length;
      await pool(plan.users, target.config.concurrency, (p) => this.executor.executeUser(session, p));
      for (const group of plan.groups) await this.executor.executeGroup(session, group);
      if (cycle.kind !== 'on-demand') {
        target.watermark = plan.watermark;
        target.configChanged = false;
      }
      cycle.status = 'succeeded';
    } catch (err) {
      if (err instanceof QuarantineSignal) {
        target.quarantine = { reason: err.message, since: this.deps.clock.now().toISOString() };
        cycle.status = 'quarantined';
        cycle.error = err.message;
      } else {
        cycle.status = 'failed';
        cycle.error = (err as Error).message;
      }
    } finally {
      session.close();
    }
    return cycle;
  }
}

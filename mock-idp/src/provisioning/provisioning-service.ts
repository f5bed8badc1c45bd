import { json, Router } from 'express';
import { z } from 'zod';
import { parseInput, type Clock, type ErrorDetail } from '@rehearsal/runtime';
import { badRequest, conflict, notFound } from '../reasons.ts';
import type { Directory } from '../directory/directory.ts';
import { ProvisioningEngine } from './engine.ts';
import { ProvisioningLog } from './provisioning-log.ts';
import type { Sleep } from './scim-client.ts';
import { ProvisioningTarget, targetInput, type TargetConfig } from './target.ts';
import { MemoryState, touches, type StateChanges, type StatePort } from '../state/state-file.ts';

const SAVED_KEY = 'targets:saved';

const cycleInput = z
  .object({
    kind: z.enum(['initial', 'incremental']).default('incremental'),
    /** Answer when the cycle has ended instead of at once with its id. */
    wait: z.boolean().default(false),
  })
  .strict();
const planInput = z.object({ kind: z.enum(['initial', 'incremental']).default('incremental'), user: z.string().min(1).optional() }).strict();
const onDemandInput = z.object({ user: z.string().min(1) }).strict();

/** Targets, their cycles and the provisioning log, behind `/api/provisioning`. */
export class ProvisioningService {
  private targets = new Map<string, ProvisioningTarget>();
  readonly log = new ProvisioningLog();
  readonly engine: ProvisioningEngine;

  constructor(
    private readonly directory: Directory,
    clock: Clock,
    sleep: Sleep,
    private readonly initial: unknown[] = [],
    private readonly state: StatePort = new MemoryState(),
  ) {
    this.engine = new ProvisioningEngine({ directory, log: this.log, clock, sleep });
    // Targets found in the state port carry on (with what they sent and their watermark); else the configured ones.
    if (state.get(SAVED_KEY)) for (const target of ProvisioningTarget.restore(state)) this.targets.set(target.config.id, target);
    else this.reset();
  }

  /**
   * Takes up what another replica changed: a target added, replaced or removed
   * reads them all again (a cycle running here keeps its own); records sent by
   * a cycle running there are taken up one by one.
   */
  refresh(changes: StateChanges): void {
    if (touches(changes, 'target:') || touches(changes, SAVED_KEY)) {
      const running = [...this.targets.values()].filter((t) => t.running);
      this.targets = new Map(ProvisioningTarget.restore(this.state).map((t) => [t.config.id, t]));
      for (const target of running) this.targets.set(target.config.id, target);
    } else if (touches(changes, 'target-')) {
      for (const target of this.targets.values()) {
        target.users.refresh(changes);
        target.groups.refresh(changes);
      }
    }
  }

  /** Back to the configured targets, with nothing provisioned yet as far as the IdP remembers. */
  reset(): void {
    for (const target of this.targets.values()) target.forget();
    for (const [key] of this.state.entries('target')) this.state.remove(key);
    this.targets = new Map();
    this.log.clear();
    this.initial.forEach((t, i) => this.add(t, `provisioning[${i}]`));
    this.state.put(SAVED_KEY, true);
  }

  list(): ProvisioningTarget[] {
    return [...this.targets.values()];
  }

  get(id: string): ProvisioningTarget {
    const target = this.targets.get(id);
    if (!target) throw notFound('target-not-found', `No provisioning target ${id}.`);
    return target;
  }

  add(input: unknown, where = 'body'): ProvisioningTarget {
    const config = this.validate(input, where);
    if (this.targets.has(config.id)) throw conflict('target-exists', `A provisioning target ${config.id} exists already: PUT replaces it.`);
    const target = new ProvisioningTarget(config, this.state);
    target.save();
    this.targets.set(config.id, target);
    return target;
  }

  /** New configuration; what was provisioned is remembered, and the next incremental cycle looks at everyone. */
  replace(id: string, input: unknown): ProvisioningTarget {
    const current = this.get(id);
    if (current.running) throw conflict('cycle-running', `Cycle ${current.running} is running on ${id}: wait for it to end.`);
    const config = this.validate({ ...(input as object), id }, 'body');
    // Same id, same records in the state port: only the configuration and the watermark's meaning change.
    const next = new ProvisioningTarget(config, this.state);
    for (const [k, v] of current.users) Map.prototype.set.call(next.users, k, v);
    for (const [k, v] of current.groups) Map.prototype.set.call(next.groups, k, v);
    next.watermark = current.watermark;
    next.quarantine = current.quarantine;
    this.targets.set(id, next);
    return next;
  }

  remove(id: string): void {
    const target = this.get(id);
    if (target.running) throw conflict('cycle-running', `Cycle ${target.running} is running on ${id}: wait for it to end.`);
    this.targets.delete(id);
    target.forget();
    this.engine.forget(id);
    this.log.forget(id);
  }

  private validate(input: unknown, where: string): TargetConfig {
    const parsed = parseInput(targetInput, input, where);
    const details: ErrorDetail[] = [];
    parsed.assignments.users.forEach((u, i) => {
      if (!this.directory.findUser(u)) details.push({ path: `${where}.assignments.users[${i}]`, message: `no user ${u} in the directory` });
    });
    parsed.assignments.groups.forEach((g, i) => {
      if (!this.directory.findGroup(g)) details.push({ path: `${where}.assignments.groups[${i}]`, message: `no group ${g} in the directory` });
    });
    if (details.length) throw badRequest('unknown-assignment', `${details[0]!.path}: ${details[0]!.message}.`, details);
    const config = { ...parsed, id: parsed.id ?? new URL(parsed.baseUrl).host.replace(/[^a-z0-9]+/gi, '-').toLowerCase() };
    // Fails here, with the mapping named, rather than at the first cycle.
    new ProvisioningTarget(config, new MemoryState());
    return config;
  }

  router(): Router {
    const router = Router();
    router.use('/api/provisioning', json({ limit: '1mb' }));
    router.get('/api/provisioning/targets', (_req, res) => res.json({ targets: this.list().map((t) => t.view()) }));
    router.post('/api/provisioning/targets', (req, res) => res.status(201).json(this.add(req.body).view()));
    router.get('/api/provisioning/targets/:id', (req, res) => res.json(this.get(req.params.id).view()));
    router.put('/api/provisioning/targets/:id', (req, res) => res.json(this.replace(req.params.id, req.body).view()));
    router.delete('/api/provisioning/targets/:id', (req, res) => {
      this.remove(req.params.id);
      res.status(204).end();
    });
    router.delete('/api/provisioning/targets/:id/quarantine', (req, res) => {
      this.get(req.params.id).quarantine = undefined;
      res.status(204).end();
    });
    router.post('/api/provisioning/targets/:id/plan', async (req, res) => {
      const input = parseInput(planInput, req.body ?? {}, 'body');
      res.json(await this.engine.plan(this.get(req.params.id), input.user ? 'on-demand' : input.kind, input.user));
    });
    router.post('/api/provisioning/targets/:id/cycles', async (req, res) => {
      const input = parseInput(cycleInput, req.body ?? {}, 'body');
      const { cycle, finished } = this.engine.start(this.get(req.params.id), input.kind);
      if (input.wait) res.json(await finished);
      else res.status(202).location(`/api/provisioning/targets/${req.params.id}/cycles/${cycle.id}`).json(cycle);
    });
    router.get('/api/provisioning/targets/:id/cycles', (req, res) => res.json({ cycles: this.engine.listCycles(this.get(req.params.id).config.id) }));
    router.get('/api/provisioning/targets/:id/cycles/:cycle', (req, res) =>
      res.json(this.engine.getCycle(this.get(req.params.id).config.id, req.params.cycle)),
    );
    /** On-demand provisioning of one user, as Entra's "Provision on demand": it waits for the result. */
    router.post('/api/provisioning/targets/:id/provision', async (req, res) => {
      const input = parseInput(onDemandInput, req.body, 'body');
      res.json(await this.engine.start(this.get(req.params.id), 'on-demand', input.user).finished);
    });
    router.get('/api/provisioning/targets/:id/log', (req, res) => res.json(this.log.list(this.get(req.params.id).config.id, req.query)));
    return router;
  }
}

import { z } from 'zod';
import { parseInput, timeOrderedId } from '@rehearsal/runtime';
import { badRequest, notFound } from '../reasons.ts';
import type { Directory } from '../directory/directory.ts';
import type { ServiceProviderRegistry } from '../service-providers/registry.ts';
import { faultConflict, faultList, mergeFaults, type Fault } from './fault.ts';
import { MemoryState, touches, type StateChanges, type StatePort } from '../state/state-file.ts';

/** Faults for every login of one user, one SP, or one user at one SP; optionally only the next N. */
export interface FaultRule {
  id: string;
  /** The user's id; undefined matches every user. */
  userId?: string;
  user?: string;
  sp?: string;
  faults: Fault[];
  /** Logins still to affect; undefined means until removed. */
  remaining?: number;
}

const ruleInput = z
  .object({
    user: z.string().min(1).optional(),
    sp: z.string().min(1).optional(),
    faults: z.array(z.unknown()).min(1),
    times: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();

/** Validates a fault list from any source: parse errors and conflicts are 400s naming `where`. */
export function parseFaults(input: unknown, where: string): Fault[] {
  const faults = parseInput(faultList, input, where);
  const conflict = faultConflict(faults);
  if (conflict) throw badRequest('faults-conflict', `${where}: ${conflict}.`);
  return faults;
}

const RULES_KEY = 'faults:rules';

export class FaultRules {
  private rules: FaultRule[] = [];

  constructor(
    private readonly directory: Directory,
    private readonly providers: ServiceProviderRegistry,
    private readonly initial: unknown[] = [],
    private readonly state: StatePort = new MemoryState(),
  ) {
    const saved = state.get(RULES_KEY);
    if (Array.isArray(saved)) this.rules = saved as FaultRule[];
    else this.reset();
  }

  /** Takes up the rules as another replica left them (added, removed, or used up). */
  refresh(changes: StateChanges): void {
    const saved = touches(changes, RULES_KEY) ? this.state.get(RULES_KEY) : undefined;
    if (Array.isArray(saved)) this.rules = saved as FaultRule[];
  }

  /** Back to the rules the IdP was configured with. */
  reset(): void {
    this.rules = [];
    this.initial.forEach((rule, i) => this.add(rule, `faults[${i}]`));
    this.save();
  }

  /** The rules as they stand, in the state port (they are few: the whole list each time). */
  private save(): void {
    this.state.put(RULES_KEY, this.rules);
  }

  add(input: unknown, where = 'body'): FaultRule {
    const parsed = parseInput(ruleInput, input, where);
    const faults = parseFaults(parsed.faults, `${where}.faults`);
    const user = parsed.user === undefined ? undefined : this.directory.findUser(parsed.user);
    if (parsed.user !== undefined && !user) throw badRequest('user-not-found', `${where}.user: no user ${parsed.user} in the IdP directory.`);
    if (parsed.sp !== undefined && !this.providers.find(parsed.sp))
      throw badRequest('sp-not-registered', `${where}.sp: no service provider ${parsed.sp} is registered.`);
    const rule: FaultRule = { id: timeOrderedId(), userId: user?.id, user: user?.email, sp: parsed.sp, faults, remaining: parsed.times };
    this.rules.push(rule);
    this.save();
    return rule;
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  remove(id: string): void {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    if (this.rules.length === before) throw notFound('fault-rule-not-found', `No fault rule ${id}.`);
    this.save();
  }

  clear(): void {
    this.rules = [];
    this.save();
  }

  /**
   * The faults for one login, most specific rule first (user and SP, then
   * user, then SP), counting it against rules limited to N logins. Throws when
   * the rules together ask for faults that cannot be combined.
   */
  take(spEntityId: string, userId: string, requested: Fault[] = []): Fault[] {
    const matching = this.rules
      .filter((r) => (r.userId === undefined || r.userId === userId) && (r.sp === undefined || r.sp === spEntityId))
      .sort((a, b) => specificity(b) - specificity(a));
    const faults = mergeFaults(requested, ...matching.map((r) => r.faults));
    const conflict = faultConflict(faults);
    if (conflict)
      throw badRequest('faults-conflict', `The faults of this request and of rules ${matching.map((r) => r.id).join(', ')} cannot be combined: ${conflict}.`);
    const counted = matching.some((r) => r.remaining !== undefined);
    for (const rule of matching) if (rule.remaining !== undefined) rule.remaining -= 1;
    this.rules = this.rules.filter((r) => r.remaining === undefined || r.remaining > 0);
    if (counted) this.save();
    return faults;
  }
}

const specificity = (rule: FaultRule) => (rule.userId ? 2 : 0) + (rule.sp ? 1 : 0);

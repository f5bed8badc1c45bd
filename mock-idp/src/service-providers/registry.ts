import { parseInput } from '@rehearsal/runtime';
import { conflict, notFound } from '../reasons.ts';
import { MemoryState, touches, type StateChanges, type StatePort } from '../state/state-file.ts';
import { serviceProviderInput, toServiceProvider, type ServiceProvider, type ServiceProviderInput } from './service-provider.ts';

const SP_KEY = 'sp:';
const SAVED_KEY = 'sps:saved';

/**
 * Registered service providers, keyed by entity ID; `reset` restores the
 * configured ones. Kept in the state port, and taken up again from there.
 */
export class ServiceProviderRegistry {
  private providers = new Map<string, ServiceProvider>();

  constructor(
    private readonly initial: ServiceProviderInput[] = [],
    where = 'serviceProviders',
    private readonly state: StatePort = new MemoryState(),
  ) {
    if (state.get(SAVED_KEY)) this.restore();
    else this.load(where);
  }

  /** Takes up what another replica registered or removed. */
  refresh(changes: StateChanges): void {
    if (touches(changes, SP_KEY)) this.restore();
  }

  private restore() {
    this.providers = new Map(this.state.entries(SP_KEY).map(([, sp]) => [(sp as ServiceProvider).entityId, sp as ServiceProvider]));
  }

  reset(): void {
    this.load('serviceProviders');
  }

  private load(where: string) {
    this.providers = new Map();
    for (const [key] of this.state.entries(SP_KEY)) this.state.remove(key);
    this.initial.forEach((sp, i) => this.register(sp, `${where}[${i}]`));
    this.state.put(SAVED_KEY, true);
  }

  private save(sp: ServiceProvider) {
    this.providers.set(sp.entityId, sp);
    this.state.put(SP_KEY + sp.entityId, sp);
  }

  list(): ServiceProvider[] {
    return [...this.providers.values()];
  }

  find(entityId: string): ServiceProvider | undefined {
    return this.providers.get(entityId);
  }

  get(entityId: string): ServiceProvider {
    const sp = this.find(entityId);
    if (!sp) throw notFound('sp-not-registered', `No service provider ${entityId} is registered: add it with POST /api/service-providers.`);
    return sp;
  }

  register(input: unknown, where = 'body'): ServiceProvider {
    const sp = toServiceProvider(parseInput(serviceProviderInput, input, where));
    if (this.providers.has(sp.entityId)) throw conflict('sp-exists', `A service provider ${sp.entityId} is already registered: PUT replaces it.`);
    this.save(sp);
    return sp;
  }

  /** Registers or replaces by entity ID (an import run twice, or after the SP's metadata changed); says which. */
  upsert(input: unknown, where = 'body'): { sp: ServiceProvider; created: boolean } {
    const sp = toServiceProvider(parseInput(serviceProviderInput, input, where));
    const created = !this.providers.has(sp.entityId);
    this.save(sp);
    return { sp, created };
  }

  replace(entityId: string, input: unknown): ServiceProvider {
    this.get(entityId);
    const sp = toServiceProvider(parseInput(serviceProviderInput, { ...(input as object), entityId }, 'body'));
    this.save(sp);
    return sp;
  }

  remove(entityId: string): void {
    this.get(entityId);
    this.providers.delete(entityId);
    this.state.remove(SP_KEY + entityId);
  }
}

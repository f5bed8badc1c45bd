import { conflict, notFound, parseInput } from '@rehearsal/core/runtime';
import { serviceProviderInput, toServiceProvider, type ServiceProvider, type ServiceProviderInput } from './service-provider.ts';

/** Registered service providers, keyed by entity ID; `reset` restores the configured ones. */
export class ServiceProviderRegistry {
  private providers = new Map<string, ServiceProvider>();

  constructor(private readonly initial: ServiceProviderInput[] = [], where = 'serviceProviders') {
    this.load(where);
  }

  reset(): void {
    this.load('serviceProviders');
  }

  private load(where: string) {
    this.providers = new Map();
    this.initial.forEach((sp, i) => this.register(sp, `${where}[${i}]`));
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
    this.providers.set(sp.entityId, sp);
    return sp;
  }

  replace(entityId: string, input: unknown): ServiceProvider {
    this.get(entityId);
    const sp = toServiceProvider(parseInput(serviceProviderInput, { ...(input as object), entityId }, 'body'));
    this.providers.set(entityId, sp);
    return sp;
  }

  remove(entityId: string): void {
    this.get(entityId);
    this.providers.delete(entityId);
  }
}

import type { StatePort } from './state-file.ts';

/**
 * A map whose every change is written to the state port under `prefix` + key,
 * as `encode` makes it. `restore` reads the entries back (a restart), and
 * `refresh` takes up those another replica changed.
 */
export class SavedMap<V> extends Map<string, V> {
  constructor(
    private readonly state: StatePort,
    private readonly prefix: string,
    private readonly encode: (value: V) => unknown,
    /** Undefined when the saved entry no longer makes sense (its SP is gone): it is dropped. */
    private readonly decode: (saved: unknown) => V | undefined = (saved) => saved as V,
  ) {
    super();
  }
  override set(key: string, value: V): this {
    super.set(key, value);
    this.state.put(this.prefix + key, this.encode(value));
    return this;
  }
  override delete(key: string): boolean {
    const had = super.delete(key);
    if (had) this.state.remove(this.prefix + key);
    return had;
  }
  override clear(): void {
    for (const key of this.keys()) this.state.remove(this.prefix + key);
    super.clear();
  }

  /** Every entry the state port holds under the prefix, read straight into the map (they are saved already). */
  restore(): this {
    super.clear();
    for (const [key, saved] of this.state.entries(this.prefix)) this.take(key.slice(this.prefix.length), saved);
    return this;
  }

  /** Takes up the entries of these state keys as the state port now holds them (`all`: every entry). */
  refresh(changed: ReadonlySet<string> | 'all'): void {
    if (changed === 'all') return void this.restore();
    for (const stateKey of changed) {
      if (!stateKey.startsWith(this.prefix)) continue;
      const key = stateKey.slice(this.prefix.length);
      const saved = this.state.get(stateKey);
      if (saved === undefined) super.delete(key);
      else this.take(key, saved);
    }
  }

  private take(key: string, saved: unknown): void {
    const value = this.decode(saved);
    if (value === undefined) super.delete(key);
    else super.set(key, value);
  }
}

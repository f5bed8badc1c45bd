// Types of scripts/dist.mjs, for the TypeScript that imports it (the CLI's process launcher).
export type EntryName = 'rehearsal' | 'core' | 'mock-idp' | 'gateway' | 'console';
export const SOURCES: Record<EntryName, string>;
export function repositoryRoot(from?: string): string;
export function distIsCurrent(root?: string): boolean;
export function entryArgs(name: EntryName, root?: string): string[];
export function compiledEntry(name: EntryName, root?: string): string | undefined;

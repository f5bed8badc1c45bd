// Types of scripts/dist.mjs, for the TypeScript that imports it (the CLI's process launcher).
export function repositoryRoot(from?: string): string;
export function distIsCurrent(root?: string): boolean;
export function entryArgs(name: 'rehearsal' | 'core' | 'mock-idp' | 'gateway', root?: string): string[];
export function compiledEntry(name: 'rehearsal' | 'core' | 'mock-idp' | 'gateway', root?: string): string | undefined;

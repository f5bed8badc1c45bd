// What the CLI and the console share to talk to the services: a JSON client with reason
// codes, the answers they read, and what a provisioning cycle does to product accounts.
export * from './service-client.ts';
export type * from './answers.ts';
export * from './product-effects.ts';
export { textOf } from './text.ts';
export * from './stack-clock.ts';

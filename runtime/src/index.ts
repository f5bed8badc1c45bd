// Runtime conventions shared by every Rehearsal service (`@rehearsal/runtime`).
export * from './clock.ts';
export * from './config.ts';
export * from './errors.ts';
export * from './harness.ts';
export * from './http.ts';
export * from './ids.ts';
export * from './logger.ts';
export * from './validation.ts';
export * from './local.ts';
export * from './service.ts';
export * from './pool.ts';
export * from './index-page.ts';
export * from './stack-keys.ts';
export * from './web.ts';
export * from './reasons.ts';
export * from './runtime-reasons.ts';
export * from './fast-routes.ts';

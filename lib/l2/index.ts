// The L2 control plane core: class choice, annotations, IPAM run, status, Events, values (DESIGN §2–§4).
export * from './types.ts';
export * from './annotations.ts';
export * from './choice.ts';
export * from './classes.ts';
export * from './conditions.ts';
export * from './class-status.ts';
export * from './values.ts';
export * from './write-cache.ts';
export * from './plan.ts';
export type { JsonValue } from '../json.ts';
export * from './project.ts';
export * from './migration.ts';

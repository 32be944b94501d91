// The hook runtime's public surface: hook files import from here only.
export { defineHook, checkHooks, HookDefinitionError } from './define.ts';
export type { Hook } from './define.ts';
export type * from './types.ts';

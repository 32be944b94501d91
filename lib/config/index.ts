// The speaker's static configuration (DESIGN §2.1): schema, parser and parsed types.
export * from './types.ts';
export { parseStaticConfig, validateStaticConfig, ConfigError, type ConfigProblem } from './parse.ts';
export { staticConfigSchema } from './schema.ts';

// The addon-operator imitation for hook tests (see operator.ts).
export { AddonOperator, HookRunError, threeWay, type OperatorOptions, type RunRecord } from './operator.ts';
export { clusterFromYaml, moduleCrdTypes, objectsFromYaml, typeOf } from './cluster.ts';
export { chartRenderer } from './helm.ts';
export { loadModuleSchemas, SchemaValidationError } from './schemas.ts';
export { ensureHooksExecutable, HOOKS_EXECUTABLE } from './executable.ts';

// The embedded Kubernetes API (a stand-in for kube-apiserver, which cannot run here): the import
// path for other folders. See README.md.
export { KubeApiServer, defaultCrdFiles, moduleCrdDir, readCrds, type Faults, type KubeApiServerOptions } from './server.ts';
export { ObjectStore, formatTime, type KubeObject, type ObjectMeta, type PatchType, type ResourceType, type Selection, type StoreOptions, type WatchEvent, type WatchEventType, type WatchHandle, type WatchOptions } from './store.ts';
export { StatusError, type StatusBody, type StatusCause, type StatusReason } from './errors.ts';
export { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, type Json, type JsonObject } from './patch.ts';
export { parseFieldSelector, parseLabelSelector, type FieldSelector, type LabelSelector } from './selectors.ts';
export { builtinTypes } from './resources.ts';
export { crdResourceType, type CrdResourceType, type CrdSpec } from './crd.ts';

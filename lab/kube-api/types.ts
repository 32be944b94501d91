// The object model shared by the store, the server and the addon-operator imitation: objects,
// resource types and watch events.
import type { StatusCause, StatusError } from './errors.ts';
import type { StrategicListRules } from './patch.ts';
import type { FieldSelector, LabelSelector } from './selectors.ts';

/** ObjectMeta fields the store reads or writes; anything else is kept as given. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: unknown;
}

/** A Kubernetes object as JSON: apiVersion, kind, metadata and whatever the kind holds. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** What the store needs to know about a resource (a group + plural, served at one version). */
export interface ResourceType {
  /** API group, '' for the core group. */
  group: string;
  /** The served (and stored) version. */
  version: string;
  /** Lower-case plural, as in URLs. */
  resource: string;
  kind: string;
  /** Singular lower-case name, for discovery. */
  singular?: string;
  shortNames?: string[];
  namespaced: boolean;
  /** Whether `/status` is a separate subresource (status ignored by main-resource writes). */
  statusSubresource: boolean;
  /** Keep `status` given to create (Node); otherwise create resets status when statusSubresource. */
  keepStatusOnCreate?: boolean;
  /** List merge rules for strategic merge patch; absent = strategic merge unsupported (415), as for CRDs. */
  strategicListRules?: StrategicListRules;
  /** Field selector paths accepted beyond metadata.name and metadata.namespace. */
  fieldSelectors?: string[];
  /** Defaulting and pruning (CRD schema); returns the object to store. */
  prepare?: (obj: KubeObject) => KubeObject;
  /** Field problems kube-apiserver would reject with 422; `old` is absent on create. */
  validate?: (obj: KubeObject, old: KubeObject | undefined) => StatusCause[];
}

/** Type of a watch event on the wire. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One watch event; `object` is a private copy the receiver may keep. */
export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject | StatusError;
}

/** Which objects a list or watch returns. */
export interface Selection {
  /** Only this namespace (namespaced kinds); absent = all namespaces. */
  namespace?: string;
  labelSelector?: LabelSelector;
  fieldSelector?: FieldSelector;
}

/** Options of `watch`. */
export interface WatchOptions extends Selection {
  /** Send only changes after this version; absent, '' or '0' = first an ADDED per current object. */
  resourceVersion?: string;
}

/** A running watch; `stop` ends delivery at once. */
export interface WatchHandle {
  stop(): void;
}

/** The three patch content types of the API. */
export type PatchType = 'merge' | 'json' | 'strategic';

/** Options of the store. */
export interface StoreOptions {
  /** Clock for creationTimestamp and deletionTimestamp. */
  now?: () => Date;
  /** Source of metadata.uid. */
  newUid?: () => string;
  /** How many events the watch history keeps (older versions give 410 Gone). Default 1000. */
  historyLimit?: number;
  /** Reject namespaced objects whose Namespace does not exist (kube-apiserver's NamespaceLifecycle). */
  requireNamespaces?: boolean;
}

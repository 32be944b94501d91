// Kinds the lab needs beyond core Kubernetes: the CustomResourceDefinition kind itself (so that
// `kubectl apply -f crds/` works and registers new kinds at run time) and Deckhouse's ModuleConfig
// (deckhouse.io/v1alpha1), whose CRD ships with Deckhouse rather than with this module.
import type { StatusCause } from './errors.ts';
import { crdResourceType, type CrdSpec } from './crd.ts';
import type { KubeObject, ResourceType } from './store.ts';
import { validateObjectMeta } from './validation.ts';

/** apiextensions.k8s.io/v1 CustomResourceDefinition: name must be `<plural>.<group>`, schema must compile. */
export const crdType: ResourceType = {
  group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition',
  singular: 'customresourcedefinition', shortNames: ['crd', 'crds'], namespaced: false, statusSubresource: true,
  // kubectl apply sends strategic merge patches for this built-in kind; its lists are atomic.
  strategicListRules: {},
  // The apiextensions controllers accept names at once here: Established and NamesAccepted are
  // True from creation (so `kubectl wait --for condition=established` returns).
  prepare: (o: KubeObject): KubeObject => {
    const spec = o.spec as CrdSpec | undefined;
    if (!spec?.names || !Array.isArray(spec.versions)) return o;
    const since = o.metadata.creationTimestamp ?? '';
    const condition = (type: string, reason: string, message: string): object => ({ type, status: 'True', lastTransitionTime: since, reason, message });
    o.status = {
      acceptedNames: spec.names,
      storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
      conditions: [
        condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
        condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
      ],
    };
    return o;
  },
  validate: (o: KubeObject): StatusCause[] => {
    const causes = validateObjectMeta(o, 'subdomain', false);
    const spec = o.spec as CrdSpec | undefined;
    if (!spec?.group || !spec.names?.plural || !spec.names.kind || !Array.isArray(spec.versions)) {
      causes.push({ reason: 'FieldValueRequired', field: 'spec', message: 'Required value: group, names.plural, names.kind and versions are required' });
      return causes;
    }
    if (o.metadata.name !== `${spec.names.plural}.${spec.group}`) {
      causes.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: ${JSON.stringify(o.metadata.name)}: must be spec.names.plural+"."+spec.group` });
    }
    try {
      crdResourceType({ metadata: o.metadata, spec });
    } catch (e) {
      causes.push({ reason: 'FieldValueInvalid', field: 'spec.versions', message: `Invalid value: ${(e as Error).message}: ${String((e as Error).cause ?? '')}` });
    }
    return causes;
  },
};

/** The ModuleConfig CRD as Deckhouse installs it (the parts the module and lab use). */
export const moduleConfigCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'moduleconfigs.deckhouse.io' },
  spec: {
    group: 'deckhouse.io',
    scope: 'Cluster',
    names: { kind: 'ModuleConfig', plural: 'moduleconfigs', singular: 'moduleconfig', shortNames: ['mc'], listKind: 'ModuleConfigList' },
    versions: [{
      name: 'v1alpha1',
      served: true,
      storage: true,
      subresources: { status: {} },
      additionalPrinterColumns: [
        { name: 'Enabled', type: 'boolean', jsonPath: '.spec.enabled' },
        { name: 'Version', type: 'string', jsonPath: '.status.version' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        { name: 'Message', type: 'string', jsonPath: '.status.message' },
      ],
      schema: {
        openAPIV3Schema: {
          type: 'object',
          required: ['spec'],
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            metadata: { type: 'object' },
            spec: {
              type: 'object',
              properties: {
                enabled: { type: 'boolean', nullable: true },
                version: { type: 'number' },
                settings: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                updatePolicy: { type: 'string' },
                source: { type: 'string' },
                maintenance: { type: 'string' },
              },
            },
            status: {
              type: 'object',
              properties: { message: { type: 'string' }, version: { type: 'string' } },
            },
          },
        },
      },
    }],
  },
} as const satisfies { metadata: { name: string }; spec: CrdSpec; [k: string]: unknown };

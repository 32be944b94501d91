// Every rendered object validated against Kubernetes' own OpenAPI schemas (kubernetes-models 4,
// the last major that runs on Node 20; prometheus-operator's CRD schemas from its sibling package).
// Deckhouse's own CRs (SecurityPolicyException, GrafanaDashboardDefinition) have no published
// schema package: a small schema here checks the fields Deckhouse reads. These schemas check
// types, required fields and enums; they do not reject unknown fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { docL2Class, find, moduleValues, renderChart, type KubeObject } from './chart.ts';

interface Model { validate(): void }
type ModelClass = new (data: unknown) => Model;

async function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const path = group === 'monitoring.coreos.com'
    ? `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`
    : group === '' ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
  try {
    const mod = (await import(path)) as Record<string, unknown>;
    return mod[kind] as ModelClass;
  } catch {
    return undefined;
  }
}

/** Why an allowance exists: Deckhouse's CRD keeps `metadata` free-form; this chart requires a description. */
const reason = { type: 'object', required: ['description'], properties: { description: { type: 'string', minLength: 10 } } };
const allowValue = { type: 'object', required: ['allowedValue', 'metadata'], additionalProperties: false, properties: { allowedValue: { type: 'boolean' }, metadata: reason } };
const allowValues = (items: object): object => ({
  type: 'object', required: ['allowedValues', 'metadata'], additionalProperties: false, properties: { allowedValues: items, metadata: reason },
});

/**
 * Fields of Deckhouse CRs the chart renders. SecurityPolicyException: the part of
 * securitypolicyexceptions.deckhouse.io v1alpha1 (deckhouse/deckhouse,
 * modules/015-admission-policy-engine/crds/security-policy-exception.yaml) that the chart uses, with
 * unknown fields refused so a misspelt allowance fails here rather than in the cluster.
 */
const deckhouseSchemas: Record<string, object> = {
  'deckhouse.io/v1alpha1/SecurityPolicyException': {
    type: 'object',
    required: ['spec'],
    properties: {
      metadata: { type: 'object', required: ['name'] },
      spec: {
        type: 'object',
        additionalProperties: false,
        properties: {
          network: {
            type: 'object',
            additionalProperties: false,
            properties: {
              hostNetwork: allowValue,
              hostPorts: {
                type: 'array',
                items: {
                  type: 'object', required: ['port', 'protocol'], additionalProperties: false,
                  properties: { port: { type: 'integer' }, protocol: { enum: ['TCP', 'UDP'] }, metadata: reason },
                },
              },
            },
          },
          securityContext: {
            type: 'object',
            additionalProperties: false,
            properties: {
              runAsNonRoot: allowValue,
              runAsUser: allowValues({ type: 'array', items: { type: 'integer' } }),
              capabilities: allowValues({
                type: 'object', additionalProperties: false,
                properties: { add: { type: 'array', items: { type: 'string' } }, drop: { type: 'array', items: { type: 'string' } } },
              }),
            },
          },
        },
      },
    },
  },
  'deckhouse.io/v1/GrafanaDashboardDefinition': {
    type: 'object',
    required: ['spec'],
    properties: {
      metadata: { type: 'object', required: ['name'], not: { required: ['namespace'] } },
      spec: {
        type: 'object',
        required: ['folder', 'definition'],
        additionalProperties: false,
        properties: { folder: { type: 'string', minLength: 1 }, definition: { type: 'string', minLength: 2 } },
      },
    },
  },
};

const ajv = new Ajv({ allErrors: true });

async function schemaErrors(o: KubeObject): Promise<string[]> {
  const where = `${o.apiVersion} ${o.kind}/${o.metadata.name}`;
  const own = deckhouseSchemas[`${o.apiVersion}/${o.kind}`];
  if (own) {
    const validate = ajv.compile(own);
    const errors: string[] = validate(o) ? [] : (validate.errors ?? []).map((e) => `${where}${e.instancePath}: ${e.message}`);
    if (o.kind === 'GrafanaDashboardDefinition') {
      try {
        JSON.parse((o.spec as { definition: string }).definition);
      } catch (e) {
        errors.push(`${where}: definition is not JSON: ${(e as Error).message}`);
      }
    }
    return errors;
  }
  const Model = await modelFor(o.apiVersion, o.kind);
  if (!Model) return [`${where}: no schema known for this kind`];
  try {
    new Model(o).validate();
    return [];
  } catch (e) {
    return [`${where}: ${(e as Error).message}`];
  }
}

test('every object of every matrix case passes its schema', async () => {
  const cases = [
    moduleValues({}),
    moduleValues({ classes: [docL2Class] }),
    moduleValues({ bgp: true }),
    moduleValues({ classes: [docL2Class, { name: 'all', nodeSelector: {} }], bgp: true }),
  ];
  const seen = new Set<string>();
  for (const values of cases) {
    for (const o of renderChart(values)) {
      seen.add(o.kind);
      assert.deepEqual(await schemaErrors(o), []);
    }
  }
  for (const kind of ['Namespace', 'DaemonSet', 'ConfigMap', 'Secret', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding',
    'Role', 'RoleBinding', 'PodDisruptionBudget', 'PodMonitor', 'SecurityPolicyException', 'PrometheusRule', 'GrafanaDashboardDefinition']) {
    assert.ok(seen.has(kind), `${kind} was validated`);
  }
});

test('the schemas reject broken objects', async () => {
  const objects = renderChart(moduleValues({ classes: [docL2Class] }));
  const ds = structuredClone(find(objects, 'DaemonSet', 'metallb-speaker')) as KubeObject & {
    spec: { template: { spec: { containers: Record<string, unknown>[] } } };
  };
  (ds.spec.template.spec.containers[0] as Record<string, unknown>).securityContext = { privileged: 'no' };
  assert.match((await schemaErrors(ds)).join('\n'), /privileged must be boolean/);

  const pm = structuredClone(find(objects, 'PodMonitor', 'metallb-speaker')) as KubeObject & { spec: Record<string, unknown> };
  pm.spec.podMetricsEndpoints = 'https-metrics';
  assert.notDeepEqual(await schemaErrors(pm), []);

  const spe = structuredClone(find(objects, 'SecurityPolicyException', 'metallb-speaker')) as KubeObject & {
    spec: { network: { hostNetwork: { metadata: Record<string, unknown> } }; securityContext: Record<string, unknown> };
  };
  delete spe.spec.network.hostNetwork.metadata.description;
  assert.notDeepEqual(await schemaErrors(spe), [], 'an allowance without a reason');
  const spe2 = structuredClone(find(objects, 'SecurityPolicyException', 'metallb-speaker')) as KubeObject & { spec: { securityContext: Record<string, unknown> } };
  spe2.spec.securityContext.capabilities = { allowedValues: ['NET_RAW'], metadata: { description: 'the shape of the CRD is {add, drop}' } };
  assert.notDeepEqual(await schemaErrors(spe2), [], 'capabilities.allowedValues in the wrong shape');

  assert.deepEqual(await schemaErrors({ apiVersion: 'example.com/v1', kind: 'Unknown', metadata: { name: 'x' } }),
    ['example.com/v1 Unknown/x: no schema known for this kind']);
});

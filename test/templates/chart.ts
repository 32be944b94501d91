// Renders the module's Helm chart with the real `helm` binary and parses the manifests, plus the
// values fixtures the template tests share. Values follow the internal contract of
// docs/DEVELOPMENT.md (metallb.internal.*, written by the hooks) and the user settings (metallb.*).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { repoRoot, toolPath } from '../support/tools.ts';

/** One rendered Kubernetes object (only the fields every object has are typed). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** Renders the chart in `chartDir` (default: the repository) with these values; throws helm's stderr. */
export function renderChart(values: object, chartDir: string = repoRoot): KubeObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'metallb-tpl-'));
  try {
    const file = join(dir, 'values.yaml');
    writeFileSync(file, yaml.dump(values));
    const out = execFileSync(toolPath('helm'), ['template', 'metallb', chartDir, '-f', file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    });
    return yaml.loadAll(out).filter((d): d is KubeObject => d !== null && typeof d === 'object');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm lint --strict` of the chart with these values; returns helm's output, throws it on failure. */
export function lintChart(values: object, chartDir: string = repoRoot): string {
  const dir = mkdtempSync(join(tmpdir(), 'metallb-lint-'));
  try {
    const file = join(dir, 'values.yaml');
    writeFileSync(file, yaml.dump(values));
    return execFileSync(toolPath('helm'), ['lint', '--strict', chartDir, '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`helm lint failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`, { cause: e });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The object of that kind and name, or a thrown error listing what was rendered. */
export function find(objects: KubeObject[], kind: string, name: string): KubeObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered; got ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

/** Deckhouse's global values the templates read: images by digest and the enabled modules. */
export function globalValues(enabledModules: string[] = allOptionalModules): object {
  return {
    enabledModules,
    modulesImages: {
      registry: { base: 'registry.example.com/deckhouse/modules' },
      digests: {
        metallb: { speaker: `sha256:${'1'.repeat(64)}` },
        common: { kubeRbacProxy: `sha256:${'2'.repeat(64)}` },
      },
    },
  };
}

/** Modules whose CRDs or components the chart uses when they are enabled. */
export const allOptionalModules = [
  'operator-prometheus-crd',
  'prometheus',
  'prometheus-crd',
  'admission-policy-engine-crd',
];

export const membershipKey = Buffer.alloc(32, 7).toString('base64');

/** A class's nodeSelector as the hooks turn it into a node selector term (DEVELOPMENT.md). */
export function termForSelector(sel: Record<string, string>): object {
  return {
    matchExpressions: Object.entries(sel).map(([key, value]) => ({ key, operator: 'In', values: [value] })),
  };
}

export interface Fixture {
  classes?: { name: string; interfaces?: string[]; nodeSelector: Record<string, string> }[];
  bgp?: boolean;
  speakerNodeSelector?: Record<string, string>;
  enabledModules?: string[];
}

/** The documentation's L2 example: class `ingress` on nodes labelled node-role.kubernetes.io/loadbalancer. */
export const docL2Class = { name: 'ingress', interfaces: [], nodeSelector: { 'node-role.kubernetes.io/loadbalancer': '' } };

/** BGP settings of the configuration example: one peer with a TCP-MD5 password, one pool. */
export const bgpSettings = {
  bgpPeers: [
    { 'peer-address': '172.18.18.10', 'peer-asn': 64601, 'my-asn': 4200000001, 'hold-time': '3s', password: 'md5-Secret!' },
    { 'peer-address': '172.18.18.11', 'peer-asn': 64601, 'my-asn': 4200000001 },
  ],
  addressPools: [{ name: 'mypool', protocol: 'bgp', addresses: ['192.168.219.100-192.168.219.200'] }],
  bgpCommunities: { 'no-advertise': '65535:65282' },
  speaker: { nodeSelector: { 'node-role.deckhouse.io/metallb': '' } },
};

const bgpInternal = {
  peers: [
    {
      index: 0, peerAddress: '172.18.18.10', peerASN: 64601, myASN: 4200000001, peerPort: 179, holdTime: '3s',
      hasPassword: true, sourceAddress: '', routerID: '', ebgpMultihop: false, gracefulRestart: false, bfd: null,
    },
    {
      index: 1, peerAddress: '172.18.18.11', peerASN: 64601, myASN: 4200000001, peerPort: 179,
      nodeSelector: { matchLabels: { 'bgp-rack': 'a' }, matchExpressions: [] },
      hasPassword: false, sourceAddress: '', routerID: '', ebgpMultihop: true, gracefulRestart: true,
      bfd: { receiveInterval: '300ms', transmitInterval: '300ms', detectMultiplier: 3 },
    },
  ],
  pools: [
    {
      name: 'mypool', addresses: ['192.168.219.100-192.168.219.200'], autoAssign: true, avoidBuggyIPs: false,
      advertisements: [{
        aggregationLength: 32, aggregationLengthV6: 128, localPref: 100,
        communities: ['65535:65282'], largeCommunities: ['4200000001:1:2'],
      }],
    },
  ],
};

/** Full values (global + metallb) for a fixture, as the hooks would leave them. */
export function moduleValues(f: Fixture): { global: object; metallb: Record<string, unknown> } {
  const classes = f.classes ?? [];
  const terms = classes.map((c) => termForSelector(c.nodeSelector));
  const settings: Record<string, unknown> = f.bgp ? structuredClone(bgpSettings) : {};
  if (f.bgp) terms.push(termForSelector(f.speakerNodeSelector ?? bgpSettings.speaker.nodeSelector));
  return {
    global: globalValues(f.enabledModules),
    metallb: {
      ...settings,
      internal: {
        membership: { key: membershipKey },
        l2: { classes: classes.map((c) => ({ interfaces: [], ...c })) },
        bgp: f.bgp ? structuredClone(bgpInternal) : { peers: [], pools: [] },
        speaker: { nodeSelectorTerms: terms },
      },
    },
  };
}

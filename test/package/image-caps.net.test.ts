// The capability claim of templates/_helpers.tpl (metallb.speakerSecurityContext), with real
// packets: the speaker from the image tree, run as the DaemonSet runs it (uid 0, bounding,
// permitted and effective sets {NET_RAW}, no_new_privs), answers ARP and NDP for its Service IPs in
// a network namespace. Without NET_RAW it answers nothing, so the test would see a template that
// asked for too little.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/tools.ts';
import { L2Topology, type L2Scenario } from '../speaker/l2/topology.ts';

interface ImageTreeScript {
  buildImageTree(opts: { out: string }): string[];
  SPEAKER_DIR: string;
  NODE_PATH: string;
}

const IPV4 = '198.51.100.40';
const IPV6 = '2001:db8:40::40';
const scenario: L2Scenario = {
  classes: [{ name: 'ingress', nodes: ['node1'], interfaces: ['eth0'] }],
  services: [{ namespace: 'default', name: 'web', class: 'ingress', ips: [IPV4, IPV6] }],
};

let dir = '';
let tree = '';
let script: ImageTreeScript;
let topo: L2Topology | undefined;

before(async () => {
  script = (await import(pathToFileURL(join(repoRoot, 'scripts', 'image-tree.mjs')).href)) as ImageTreeScript;
  dir = mkdtempSync(join(tmpdir(), 'metallb-caps-'));
  tree = join(dir, 'tree');
  script.buildImageTree({ out: tree });
  topo = new L2Topology(1, [IPV4, IPV6], 'tpl-');
});

after(async () => {
  await topo?.lab.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts the tree's speaker on node1 with exactly `caps` (setpriv, as a container runtime does). */
async function startWithCaps(caps: string[], started: RegExp | string): Promise<void> {
  const t = topo as L2Topology;
  const n = t.nodes[0];
  assert.ok(n);
  if (n.speaker) await n.speaker.stop('SIGKILL');
  const cfg = t.writeConfig(n, scenario);
  const bounding = ['-all', ...caps.map((c) => `+${c}`)].join(',');
  n.speaker = t.lab.spawn(n.ns, 'setpriv', [
    `--bounding-set=${bounding}`, '--inh-caps=-all', '--no-new-privs', '--',
    join(tree, script.NODE_PATH), join(tree, script.SPEAKER_DIR, 'main.cjs'), '--config', cfg,
  ], { name: `speaker-caps-${caps.join('-') || 'none'}` });
  await n.speaker.waitFor(started, 20_000);
}

test('with NET_RAW only, the speaker answers ARP and NDP for its IPs', async () => {
  const t = topo as L2Topology;
  await startWithCaps(['net_raw'], 'speaker started');
  const mac = t.nodes[0]?.mac;
  await t.until(`ARP answer for ${IPV4}`, () => t.arpMacs(IPV4).includes(mac as string));
  await t.until(`NDP answer for ${IPV6}`, () => t.ndpMacs(IPV6).includes(mac as string));
  assert.deepEqual(t.arpMacs(IPV4), [mac]);
});

test('without NET_RAW the same speaker answers nothing (the capability is needed)', async () => {
  const t = topo as L2Topology;
  // The responder reports the interface it cannot open (and keeps retrying); no answer may come.
  await startWithCaps([], /cannot open a capture on eth0: socket: Operation not permitted/);
  assert.deepEqual(t.arpMacs(IPV4, 3), []);
  assert.deepEqual(t.ndpMacs(IPV6), []);
});

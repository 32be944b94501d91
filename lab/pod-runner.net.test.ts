// The pod runner starts a container as the kubelet would: only the pod's env, its volumes at their
// mountPaths, image paths mapped to local builds; and the host's directories stay untouched.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetnsLab } from '../test/support/netns.ts';
import { startPod } from './pod-runner.ts';
import type { PodLaunch } from './pod-spec.ts';

describe('lab pod runner', () => {
  const lab = new NetnsLab('mlbl-p-');
  const image = mkdtempSync(join(tmpdir(), 'mlbl-image-'));
  after(async () => { await lab.cleanup(); rmSync(image, { recursive: true, force: true }); });

  it('mounts the volumes, image files and extra files, with the pod env only', async () => {
    lab.addNamespace('node1');
    mkdirSync(join(image, 'bin'), { recursive: true });
    writeFileSync(join(image, 'bin', 'hello'), 'image file\n');
    const launch: PodLaunch = {
      node: 'node1', podName: 'speaker-node1', container: 'speaker',
      argv: ['/bin/sh', '-c', 'cat /opt/mlbl-test-image/bin/hello /etc/mlbl-test/secrets/key /etc/mlbl-test/kubeconfig; stat -c %a /etc/mlbl-test/secrets/key; echo "tmp=$(ls -A /tmp | wc -l)"; env | sort'],
      env: { NODE_NAME: 'node1' },
      mounts: [
        { mountPath: '/etc/mlbl-test/secrets', volume: 'secrets', kind: 'secret', files: [{ path: 'key', content: Buffer.from('s3cret\n'), mode: 0o400 }] },
        { mountPath: '/tmp', volume: 'tmp', kind: 'emptyDir', files: [] },
      ],
      ignored: [],
    };
    const p = startPod(lab, launch, {
      imagePaths: { '/opt/mlbl-test-image': image },
      extraFiles: { '/etc/mlbl-test/kubeconfig': 'kubeconfig text\n' },
      extraEnv: { KUBECONFIG: '/etc/mlbl-test/kubeconfig' },
    });
    assert.equal(await p.exited, 0, p.output());
    const out = p.output();
    assert.match(out, /image file\ns3cret\nkubeconfig text\n400\ntmp=0\n/);
    assert.match(out, /^NODE_NAME=node1$/m);
    assert.match(out, /^KUBECONFIG=\/etc\/mlbl-test\/kubeconfig$/m);
    assert.doesNotMatch(out, /^(HOME|USER|npm_[a-z_]+)=/m, 'nothing inherited from the lab');
    assert.equal(existsSync('/etc/mlbl-test'), false, 'host /etc untouched');
    assert.equal(existsSync('/opt/mlbl-test-image'), false, 'host /opt untouched');
  });
});

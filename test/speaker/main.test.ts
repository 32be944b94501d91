// The metallb-speaker command line: --version, usage errors, and an invalid static file stopping
// the speaker at start with a message naming the field (DESIGN §2.1). None of these reach the
// network: they exit before any socket or capture is opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/tools.ts';

const main = join(repoRoot, 'images/speaker/src/main.ts');
const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', main, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('--version prints the package version', () => {
  const r = run('--version');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^metallb-speaker \d+\.\d+\.\d+/);
});

test('unknown arguments print the usage and exit 2', () => {
  const r = run('--bogus');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: metallb-speaker/);
});

test('an invalid static file stops the speaker, naming the field', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlb2-main-'));
  try {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'node: n1\nmembership: {key: k, address: 192.0.2.11}\nl2:\n  classes: [{name: c, nodes: [n1]}]\n  services: [{namespace: d, name: s, class: c, ips: [192.0.2.300]}]\n');
    const r = run('--config', f);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /l2\.services\[0\]\.ips\[0\]: not an IP address: "192\.0\.2\.300"/);
    const missing = run('--config', join(dir, 'nope.yaml'));
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read config file .*nope\.yaml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

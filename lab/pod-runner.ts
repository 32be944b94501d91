// Starts a `PodLaunch` (lab/pod-spec.ts) as a process in a node's network namespace, the way the
// kubelet would start the container: the argv and environment of the pod spec (nothing inherited
// from the lab's own environment), and its ConfigMap/Secret/emptyDir volumes mounted at their
// mountPaths. The container's view of the file system is made with a private mount namespace
// (`unshare -m`): paths that do not exist on the host (/etc/metallb/..., the image's
// /opt/metallb-speaker) get an overlay on their nearest existing ancestor, so the host's own
// directories are never written to. The image's files come from a map of image path -> local build.
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { NetnsLab, NsProcess } from '../test/support/netns.ts';
import type { PodLaunch } from './pod-spec.ts';

/** How the lab stands in for a container image and the cluster around a pod. */
export interface PodRunnerOptions {
  /** Image path -> local directory with the same files (e.g. /opt/metallb-speaker -> dist/speaker). */
  imagePaths: Record<string, string>;
  /** Extra files for the pod (path in the pod -> content), e.g. the lab's kubeconfig. */
  extraFiles?: Record<string, string>;
  /** Extra environment (e.g. KUBECONFIG), added after the pod's own. */
  extraEnv?: Record<string, string>;
}

/** A bind mount of a host directory or file onto a path inside the pod. */
interface Bind { source: string; target: string }

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function nearestExisting(path: string): string {
  let p = path;
  while (!existsSync(p)) p = dirname(p);
  return p;
}

/**
 * The shell script that builds the pod's mount view and execs the container. Exported for tests.
 * Overlays come first, then binds; a bind that would hide the pod's own state directory (an emptyDir
 * on /tmp when the lab works under /tmp) goes last, after every source under it was mounted.
 */
export function sandboxScript(podDir: string, binds: Bind[], argv: string[], env: Record<string, string>): string {
  const lines = ['set -e'];
  const overlays = new Map<string, string>();
  for (const b of binds) {
    if (existsSync(b.target)) continue;
    const base = nearestExisting(dirname(b.target));
    if (base === '/') throw new Error(`mount target ${b.target}: no existing ancestor other than / to overlay`);
    if (!overlays.has(base)) overlays.set(base, join(podDir, 'overlay', String(overlays.size)));
  }
  for (const [base, dir] of overlays) {
    mkdirSync(join(dir, 'upper'), { recursive: true });
    mkdirSync(join(dir, 'work'), { recursive: true });
    lines.push(`mount -t overlay overlay -o ${shellQuote(`lowerdir=${base},upperdir=${dir}/upper,workdir=${dir}/work`)} ${shellQuote(base)}`);
  }
  const hidesState = (b: Bind): boolean => podDir === b.target || podDir.startsWith(`${b.target}/`);
  const ordered = [...binds.filter((b) => !hidesState(b)), ...binds.filter(hidesState)];
  for (const b of ordered) {
    const isFile = statSync(b.source).isFile();
    lines.push(isFile
      ? `mkdir -p ${shellQuote(dirname(b.target))} && touch ${shellQuote(b.target)}`
      : `mkdir -p ${shellQuote(b.target)}`);
    lines.push(`mount --bind ${shellQuote(b.source)} ${shellQuote(b.target)}`);
  }
  const envArgs = Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`));
  lines.push(`cd /`, `exec env -i ${envArgs.join(' ')} ${argv.map(shellQuote).join(' ')}`);
  return lines.join('\n');
}

/**
 * Where the lab keeps an extra file of a pod on the host. The file is bind-mounted, so rewriting it
 * in place (same inode, e.g. `writeFileSync`) changes what the pod sees.
 */
export function extraFileHostPath(lab: NetnsLab, launch: PodLaunch, target: string): string {
  return join(lab.workDir, 'pods', launch.podName, 'extra', target.replace(/^\/+/, '').replace(/\//g, '_'));
}

/** Materialises the pod's volumes under `podDir` and starts its container in node `launch.node`. */
export function startPod(lab: NetnsLab, launch: PodLaunch, opts: PodRunnerOptions): NsProcess {
  const podDir = join(lab.workDir, 'pods', launch.podName);
  const binds: Bind[] = [];
  for (const m of launch.mounts) {
    const dir = join(podDir, 'volumes', m.volume);
    mkdirSync(dir, { recursive: true });
    for (const f of m.files) {
      const file = join(dir, f.path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, f.content);
      chmodSync(file, f.mode);
    }
    binds.push({ source: dir, target: m.mountPath });
  }
  for (const [target, content] of Object.entries(opts.extraFiles ?? {})) {
    const file = extraFileHostPath(lab, launch, target);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content, { mode: 0o600 });
    binds.push({ source: file, target });
  }
  for (const [target, source] of Object.entries(opts.imagePaths)) binds.push({ source, target });
  const argv = [...launch.argv];
  // The image has its own node; on a host where /usr/bin/node is absent, use the lab's.
  if (argv[0] && !existsSync(argv[0]) && basename(argv[0]) === 'node') argv[0] = process.execPath;
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: launch.node, ...launch.env, ...opts.extraEnv };
  const script = sandboxScript(podDir, binds, argv, env);
  writeFileSync(join(podDir, 'start.sh'), `${script}\n`);
  return lab.spawn(launch.node, 'unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { name: `${launch.podName}-${launch.container}` });
}

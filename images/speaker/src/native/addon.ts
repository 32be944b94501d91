// Loads the compiled N-API addon (addon.c, watch.c) and describes its raw functions.
// Callers use tcp.ts / udp.ts, not this file: those turn fds into Node sockets.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** File name of the compiled addon, the same in every location below. */
export const ADDON_FILE = 'metallb_native.node';

/** Opaque handle of a running poll (a pending connect or a UDP receiver). */
export type WatchHandle = { readonly __watch: unique symbol };

/** The addon's raw functions; every fd-taking call throws an Error with `code` (errno name). */
export interface NativeShim {
  socket(family: 4 | 6, type: 'tcp' | 'udp'): number;
  setIntOption(fd: number, level: number, name: number, value: number): void;
  /** prefixLength < 0: exact address (TCP_MD5SIG); otherwise a prefix (TCP_MD5SIG_EXT). Empty key removes. */
  setMd5Key(fd: number, peerAddress: string, prefixLength: number, key: Buffer): void;
  bindToDevice(fd: number, device: string): void;
  bind(fd: number, address: string, port: number): void;
  listen(fd: number, backlog: number): void;
  close(fd: number): void;
  /** Calls back once with 0 or an errno; throws for errors known at once. */
  tcpConnect(fd: number, address: string, port: number, done: (errno: number) => void): WatchHandle;
  udpReceive(fd: number, onDatagram: (data: Buffer, address: string, port: number, ttl: number) => void): WatchHandle;
  /** Returns 0 or an errno (EAGAIN = dropped). */
  udpSend(fd: number, data: Buffer, address: string, port: number): number;
  watchStop(handle: WatchHandle): void;
  readonly constants: {
    SOL_SOCKET: number; SO_REUSEADDR: number; IPPROTO_IP: number; IPPROTO_IPV6: number;
    IP_TTL: number; IP_MINTTL: number; IP_RECVTTL: number;
    IPV6_UNICAST_HOPS: number; IPV6_MINHOPCOUNT: number; IPV6_RECVHOPLIMIT: number;
  };
}

/**
 * Where the addon is looked for, first match wins (README.md "Path contract"):
 * 1. `$METALLB_NATIVE_ADDON` (a full path to the .node file);
 * 2. next to the running entry script (`dirname(process.argv[1])/metallb_native.node`): the
 *    bundled speaker (dist/speaker/main.cjs) and the image ship it there;
 * 3. the node-gyp output beside this source file (`build/Release/`), for tests and tsx.
 */
export function addonCandidates(): string[] {
  const out: string[] = [];
  const env = process.env.METALLB_NATIVE_ADDON;
  if (env) out.push(env);
  if (process.argv[1]) out.push(join(dirname(process.argv[1]), ADDON_FILE));
  const here = sourceDir();
  if (here) out.push(join(here, 'build', 'Release', ADDON_FILE));
  return out;
}

function sourceDir(): string | undefined {
  // In an esbuild CJS bundle import.meta.url is undefined; there rule 2 applies instead.
  const url = (import.meta as { url?: string }).url;
  return url ? dirname(fileURLToPath(url)) : undefined;
}

let loaded: NativeShim | undefined;

/** The addon, loaded once; throws with the searched paths when it is missing. */
export function nativeShim(): NativeShim {
  if (loaded) return loaded;
  const candidates = addonCandidates();
  const path = candidates.find((p) => existsSync(p));
  if (!path) {
    const err = new Error(`native shim ${ADDON_FILE} not found (build it: node scripts/build.mjs native); looked in: ${candidates.join(', ')}`);
    (err as Error & { code: string }).code = 'ERR_NATIVE_SHIM_MISSING';
    throw err;
  }
  // process.dlopen works the same from ESM and from a CJS bundle (no require needed).
  const mod = { exports: {} as NativeShim };
  process.dlopen(mod, path);
  loaded = mod.exports;
  return loaded;
}

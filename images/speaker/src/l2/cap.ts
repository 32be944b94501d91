// Typed access to the `cap` libpcap binding (a native addon; reference/l2.md §B5). Loaded with
// require so the esbuild bundle keeps it external and it still works under tsx (ESM).
import { createRequire } from 'node:module';

/** The part of cap's `Cap` object we use. */
export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  on(event: 'packet', fn: (nbytes: number, truncated: boolean) => void): void;
  send(buf: Buffer, len: number): void;
  close(): void;
}

interface CapModule {
  Cap: new () => CapHandle;
}

let mod: CapModule | undefined;

/** A new, unopened cap handle; throws with context when the addon cannot be loaded. */
export function newCapHandle(): CapHandle {
  if (!mod) {
    const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
    try {
      mod = req('cap') as CapModule;
    } catch (err) {
      throw new Error(`cannot load the cap addon (libpcap): ${(err as Error).message}`, { cause: err });
    }
  }
  return new mod.Cap();
}

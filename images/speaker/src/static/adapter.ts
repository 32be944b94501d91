// The static adapter: a YAML file (DESIGN §2.1) turned into the desired state. Reloaded on SIGHUP
// by main.ts; an invalid file at start stops the speaker, an invalid reload keeps the last good state.
import { readFileSync } from 'node:fs';
import { parseStaticConfig, type StaticConfig } from '../../../../lib/config/index.ts';
import type { DesiredState } from '../state.ts';

/** Reads and parses the file; throws ConfigError (with field paths) or the read error with the path. */
export function loadStaticConfig(path: string): StaticConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseStaticConfig(text);
}

/** The desired state described by a static configuration. */
export function desiredFromStatic(cfg: StaticConfig): DesiredState {
  const m = cfg.membership;
  const state: DesiredState = {
    node: cfg.node,
    l2: {
      classes: (cfg.l2?.classes ?? []).map((c) => ({ name: c.name, eligible: c.nodes, ...(c.interfaces ? { interfaces: c.interfaces } : {}) })),
      services: (cfg.l2?.services ?? []).map((s) => ({
        namespace: s.namespace,
        name: s.name,
        class: s.class,
        placementKey: s.sharingKey ?? `${s.namespace}/${s.name}`,
        ips: s.ips,
        externalTrafficPolicy: s.externalTrafficPolicy,
        ...(s.endpointNodes ? { endpointNodes: s.endpointNodes } : {}),
      })),
      networkUnavailable: [],
    },
  };
  if (m) {
    state.membership = {
      address: m.address, port: m.port, intervalMs: m.intervalMs, multiplier: m.multiplier,
      keys: m.previousKey ? [m.key, m.previousKey] : [m.key], peers: m.peers,
    };
  }
  if (cfg.bgp) state.bgp = cfg.bgp;
  return state;
}

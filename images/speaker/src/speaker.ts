// The speaker core: applies a desired state from any adapter to the engines. Membership tells who
// is live; planL2 turns desired state + live set into this node's announcements; the L2 engine
// answers for them. Recomputed on every desired-state change and every membership change.
import type { Logger } from 'pino';
import { L2Engine, type L2EngineOptions, type L2Target } from './l2/engine.ts';
import { planL2 } from './l2/plan.ts';
import { Membership } from './membership/node.ts';
import type { SpeakerMetrics } from './metrics/registry.ts';
import type { DesiredMembership, DesiredState } from './state.ts';

/** Where the speaker reports what users should see (Kubernetes: Events on the Service). */
export interface SpeakerReporter {
  /** This node took over `ips` of the Service (aggregated per recompute, never per packet). */
  announcingNodeChanged(namespace: string, name: string, ips: string[], node: string): void;
  /** An interface of this node cannot be used (it is retried); reported once per distinct problem. */
  interfaceUnusable?(node: string, ifname: string, message: string): void;
}

/**
 * The BGP engine's hook point (owned by the BGP engineers): it takes the whole desired BGP part
 * and works out the difference itself, and stops on shutdown (Cease unless graceful restart).
 */
export interface BgpEngineHook {
  set(desired: DesiredState): void;
  stop(): Promise<void>;
}

/** Options of `Speaker`. */
export interface SpeakerOptions {
  log: Logger;
  metrics: SpeakerMetrics;
  reporter?: SpeakerReporter;
  bgp?: BgpEngineHook;
  l2?: L2EngineOptions;
}

/** Runs the engines for the desired states it is given. */
export class Speaker {
  #o: SpeakerOptions;
  #engine: L2Engine;
  #membership: Membership | undefined;
  #membershipKey = '';
  #desired: DesiredState | undefined;
  #lastPlaced = new Map<string, string | undefined>();
  #ready = false;

  constructor(opts: SpeakerOptions) {
    this.#o = opts;
    this.#engine = new L2Engine(opts.log.child({ component: 'l2' }), opts.metrics.l2Observer(), {
      ...opts.l2,
      onInterfaceProblem: (ifname, _kind, message) => {
        if (this.#desired) this.#o.reporter?.interfaceUnusable?.(this.#desired.node, ifname, message);
      },
    });
  }

  /** Sets where user-visible changes are reported (the Kubernetes adapter's Event writer). */
  setReporter(reporter: SpeakerReporter): void {
    this.#o.reporter = reporter;
  }

  /** True once a desired state has been applied (for /readyz). */
  get ready(): boolean {
    return this.#ready;
  }

  /** IPs answered per interface (tests, debugging). */
  owned(): Map<string, string[]> {
    return this.#engine.owned();
  }

  /** Applies a new desired state (whole). */
  async apply(desired: DesiredState): Promise<void> {
    this.#desired = desired;
    await this.#syncMembership(desired.node, desired.membership);
    this.#recompute();
    this.#o.bgp?.set(desired);
    this.#ready = true;
  }

  /**
   * Graceful shutdown (DESIGN §2.1 SIGTERM): stop answering, then tell the peers we leave so they
   * take over at once instead of after the detection time; BGP stops its sessions.
   */
  async shutdown(): Promise<void> {
    this.#engine.stop();
    await this.#membership?.leave();
    await this.#o.bgp?.stop();
  }

  async #syncMembership(node: string, m: DesiredMembership | undefined): Promise<void> {
    const key = m ? `${node}|${m.address}|${m.port}|${m.intervalMs}|${m.multiplier}` : '';
    if (key === this.#membershipKey) {
      if (m) this.#membership?.update(m.peers, m.keys);
      return;
    }
    this.#membership?.close();
    this.#membership = undefined;
    this.#membershipKey = key;
    if (!m) return;
    const ms = new Membership({
      self: node, address: m.address, port: m.port, peers: m.peers, keys: m.keys,
      timing: { intervalMs: m.intervalMs, multiplier: m.multiplier },
      log: this.#o.log.child({ component: 'membership' }),
      observer: this.#o.metrics.membershipObserver(),
    });
    ms.on('change', (live) => {
      this.#o.log.info({ live }, 'membership changed');
      this.#recompute();
    });
    await ms.start();
    this.#membership = ms;
  }

  #recompute(): void {
    const d = this.#desired;
    if (!d) return;
    const ms = this.#membership;
    const isLive = (n: string): boolean => n === d.node || (ms?.isLive(n) ?? false);
    const plan = planL2(d.node, d.l2, isLive);
    const classOf = new Map(d.l2.classes.map((c) => [c.name, c]));
    const targets: L2Target[] = plan.announce.map((a) => ({ ip: a.ip, ...(a.interfaces ? { interfaces: a.interfaces } : {}) }));
    // Every IP of the classes this node is eligible in goes into the capture filter.
    const candidates: L2Target[] = d.l2.services.flatMap((s) => {
      const c = classOf.get(s.class);
      if (!c || !c.eligible.includes(d.node)) return [];
      return s.ips.map((ip) => ({ ip, ...(c.interfaces && c.interfaces.length > 0 ? { interfaces: c.interfaces } : {}) }));
    });
    this.#engine.set(targets, candidates);
    this.#report(d, plan);
  }

  #report(d: DesiredState, plan: ReturnType<typeof planL2>): void {
    const m = this.#o.metrics;
    m.announced.reset();
    for (const a of plan.announce) m.announced.set({ ip: a.ip, node: d.node, protocol: 'layer2' }, 1);
    for (const [cls, ok] of plan.quorum) {
      m.quorum.set({ class: cls }, ok ? 1 : 0);
      m.unplaced.set({ class: cls }, 0);
    }
    const live = this.#membership?.live() ?? [d.node];
    m.liveNodes.set(live.length);
    m.peerLive.reset();
    for (const p of d.membership?.peers ?? []) m.peerLive.set({ peer: p.node }, live.includes(p.node) ? 1 : 0);
    const svcClass = new Map(d.l2.services.map((s) => [`${s.namespace}/${s.name}`, s.class]));
    const takenOver = new Map<string, string[]>();
    const announced = new Set(plan.announce.map((a) => a.ip));
    const next = new Map<string, string | undefined>();
    for (const p of plan.placed) {
      const cls = svcClass.get(p.service) ?? '';
      if (p.node === undefined) m.unplaced.inc({ class: cls });
      next.set(p.ip, p.node);
      const before = this.#lastPlaced.get(p.ip);
      if (before === p.node || !this.#lastPlaced.has(p.ip)) continue;
      m.nodeChanges.inc({ class: cls });
      if (p.node === d.node && announced.has(p.ip)) {
        const l = takenOver.get(p.service) ?? [];
        l.push(p.ip);
        takenOver.set(p.service, l);
      }
    }
    this.#lastPlaced = next;
    for (const [svc, ips] of takenOver) {
      const [ns, name] = svc.split('/') as [string, string];
      this.#o.log.info({ service: svc, ips }, 'announcing node changed to this node');
      this.#o.reporter?.announcingNodeChanged(ns, name, ips, d.node);
    }
  }
}

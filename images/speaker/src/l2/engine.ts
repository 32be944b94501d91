// The L2 engine: takes the whole set of announcements (`set`) and makes the interfaces answer
// exactly for them. Opens and closes pcap handles, announces gained IPs in rounds, joins IPv6
// solicited-node groups, and rescans interfaces so one that cannot be opened (or vanishes) is
// reported and retried while the others keep working.
import { createSocket, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import { arpAnnouncements } from './arp.ts';
import { solicitedNodeGroup, unsolicitedNa } from './ndp.ts';
import { InterfaceResponder, type ResponderObserver } from './responder.ts';
import { listLinks, readLink, selectInterfaces, type LinkInfo } from './interfaces.ts';

/** What the engine is asked to do: announce these IPs, each on these interfaces. */
export interface L2Target {
  ip: string;
  /** undefined = default interface selection. */
  interfaces?: string[];
}

/** Engine observer: responder counters plus interface state and announcements. */
export interface L2EngineObserver extends ResponderObserver {
  gratuitous(ip: string, protocol: 'arp' | 'ndp'): void;
  interfaceState(ifname: string, ok: boolean): void;
  interfaceError(ifname: string, kind: InterfaceErrorKind): void;
}

/** Why an interface is not answering: cannot open, not found, link down, worker ended, MLD join. */
export type InterfaceErrorKind = 'open' | 'missing' | 'down' | 'exited' | 'join';

/** Timing of announcements and rescans; defaults in one place. */
export interface L2EngineOptions {
  /** Delays of the announcement rounds after a takeover (MetalLB: every 1.1 s for 5 s, metallb#172). */
  announceScheduleMs?: number[];
  /** How often interfaces are rescanned (failed opens retried, vanished links noticed). */
  rescanMs?: number;
  listLinks?: () => LinkInfo[];
  /** Called when an interface becomes unusable (once per distinct problem, like the log line). */
  onInterfaceProblem?: (ifname: string, kind: InterfaceErrorKind, message: string) => void;
}

const DEFAULTS = { announceScheduleMs: [0, 1100, 2200, 3300, 4400], rescanMs: 2000 };

interface IfaceState {
  responder: InterfaceResponder;
  joins: Map<string, number>;
  socket?: Socket;
  bound?: boolean;
  /** Announced IPs; the value is the pending announcement round, if any. */
  timers: Map<string, NodeJS.Timeout | undefined>;
}

/** Answers ARP/NDP on the selected interfaces for exactly the IPs given to `set`. */
export class L2Engine {
  #log: Logger;
  #obs: L2EngineObserver;
  #opts: Required<L2EngineOptions>;
  #targets: L2Target[] = [];
  #candidates: L2Target[] = [];
  #ifaces = new Map<string, IfaceState>();
  #failed = new Map<string, string>();
  #rescan: NodeJS.Timeout | undefined;

  constructor(log: Logger, observer: L2EngineObserver, opts: L2EngineOptions = {}) {
    this.#log = log;
    this.#obs = observer;
    this.#opts = { ...DEFAULTS, listLinks: () => listLinks(), onInterfaceProblem: () => undefined, ...opts };
  }

  /**
   * Replaces the announced set. `candidates` are all IPs that could be placed here (every IP of
   * this node's classes): they go into the BPF filter, so a failover never reopens a handle.
   */
  set(targets: L2Target[], candidates: L2Target[] = targets): void {
    this.#targets = targets;
    this.#candidates = candidates;
    this.#apply();
    if (!this.#rescan) this.#rescan = setInterval(() => this.#apply(), this.#opts.rescanMs).unref();
  }

  /** IPs currently answered, per interface (for tests and /readyz). */
  owned(): Map<string, string[]> {
    return new Map([...this.#ifaces].map(([n, s]) => [n, [...s.responder.owned].sort()]));
  }

  /** Stops answering everything at once (SIGTERM: the peers take over). */
  stop(): void {
    clearInterval(this.#rescan);
    this.#rescan = undefined;
    for (const name of [...this.#ifaces.keys()]) this.#closeIface(name);
  }

  #apply(): void {
    const links = this.#opts.listLinks();
    const want = new Map<string, Set<string>>();
    const cand = new Map<string, Set<string>>();
    const add = (m: Map<string, Set<string>>, t: L2Target): void => {
      for (const ifname of selectInterfaces(t.interfaces, links)) {
        let s = m.get(ifname);
        if (!s) m.set(ifname, (s = new Set()));
        s.add(t.ip);
      }
    };
    for (const t of this.#candidates) add(cand, t);
    for (const t of this.#targets) { add(want, t); add(cand, t); }
    for (const name of [...this.#ifaces.keys()]) if (!cand.has(name)) this.#closeIface(name);
    for (const [ifname, ips] of cand) this.#syncIface(ifname, [...ips].sort(), want.get(ifname) ?? new Set());
  }

  #syncIface(ifname: string, candidates: string[], owned: Set<string>): void {
    const link = readLink(ifname);
    if (!link) return this.#fail(ifname, 'missing', 'interface not found');
    if (!link.up) return this.#fail(ifname, 'down', 'link is down');
    let st = this.#ifaces.get(ifname);
    if (st && (st.responder.mac !== link.mac || st.responder.candidatesKey !== candidates.join(','))) {
      // The filter changed: start the new worker, hand it the owned set, stop the old one once
      // the new capture is open, so answering never pauses.
      const old = st.responder;
      const next = this.#open(ifname, link.mac, candidates);
      if (!next) return;
      for (const ip of old.owned) next.owned.add(ip);
      next.syncOwned();
      st.responder = next;
      void next.whenReady().then(() => old.close());
    }
    if (!st) {
      const r = this.#open(ifname, link.mac, candidates);
      if (!r) return;
      st = { responder: r, joins: new Map(), timers: new Map() };
      this.#ifaces.set(ifname, st);
    }
    if (this.#failed.delete(ifname)) this.#log.info({ iface: ifname }, 'interface usable again');
    this.#obs.interfaceState(ifname, true);
    const r = st.responder;
    let changed = false;
    for (const ip of [...r.owned]) if (!owned.has(ip)) { this.#release(st, ip); changed = true; }
    for (const ip of owned) if (!r.owned.has(ip)) { r.owned.add(ip); changed = true; }
    if (changed) r.syncOwned();
    // Announce after the worker knows the IP, so a client reacting at once gets answers.
    for (const ip of owned) if (!st.timers.has(ip)) this.#announce(st, ip);
  }

  #open(ifname: string, mac: string, candidates: string[]): InterfaceResponder | undefined {
    try {
      const r: InterfaceResponder = new InterfaceResponder(ifname, mac, candidates, this.#obs, (reason) => {
        const st = this.#ifaces.get(ifname);
        if (st?.responder !== r) return;
        this.#closeIface(ifname);
        this.#fail(ifname, 'exited', reason);
      });
      return r;
    } catch (err) {
      this.#fail(ifname, 'open', (err as Error).message);
      return undefined;
    }
  }

  #fail(ifname: string, kind: InterfaceErrorKind, message: string): void {
    this.#obs.interfaceError(ifname, kind);
    this.#obs.interfaceState(ifname, false);
    if (this.#failed.get(ifname) !== message) {
      this.#log.error({ iface: ifname, kind, err: message }, 'interface unusable, retrying');
      this.#opts.onInterfaceProblem(ifname, kind, message);
    }
    this.#failed.set(ifname, message);
    if (this.#ifaces.has(ifname) && (kind === 'missing' || kind === 'down')) this.#closeIface(ifname);
  }

  /** Announcement rounds for a gained IP (RFC 5227 ARP / unsolicited NA), stopped when it leaves. */
  #announce(st: IfaceState, ip: string): void {
    const r = st.responder;
    this.#log.info({ iface: r.ifname, ip }, 'announcing');
    const v6 = ip.includes(':');
    if (v6) this.#join(st, ip);
    // One timer per IP at a time, re-armed for the next round and dropped after the last, so
    // 10,000 announced IPs hold no timer objects once announced (the key marks "announced").
    const schedule = this.#opts.announceScheduleMs;
    const round = (i: number): void => {
      const cur = this.#ifaces.get(r.ifname);
      if (cur !== st || !st.responder.owned.has(ip)) return;
      const frames = v6 ? [unsolicitedNa(ip, r.mac)] : arpAnnouncements(ip, r.mac);
      for (const f of frames) if (st.responder.send(f)) this.#obs.gratuitous(ip, v6 ? 'ndp' : 'arp');
      arm(i + 1);
    };
    const arm = (i: number): void => {
      const at = schedule[i];
      st.timers.set(ip, at === undefined ? undefined : setTimeout(() => round(i), Math.max(0, at - (schedule[i - 1] ?? 0))));
    };
    arm(0);
  }

  #release(st: IfaceState, ip: string): void {
    st.responder.owned.delete(ip);
    clearTimeout(st.timers.get(ip));
    st.timers.delete(ip);
    if (ip.includes(':')) this.#leaveGroup(st, ip);
    this.#log.info({ iface: st.responder.ifname, ip }, 'stopped announcing');
  }

  /** Joins the solicited-node group (RFC 4861 §7.2.1): with MLD snooping, NS reach only members. */
  #join(st: IfaceState, ip: string): void {
    const group = solicitedNodeGroup(ip);
    const n = st.joins.get(group) ?? 0;
    st.joins.set(group, n + 1);
    if (n > 0) return;
    const ifname = st.responder.ifname;
    const doJoin = (s: Socket, g: string): void => {
      try { s.addMembership(g, `::%${ifname}`); } catch (err) { this.#fail(ifname, 'join', `cannot join ${g}: ${(err as Error).message}`); }
    };
    if (!st.socket) {
      const s = createSocket({ type: 'udp6', reuseAddr: true });
      s.on('error', (err) => this.#log.warn({ iface: ifname, err: err.message }, 'multicast socket error'));
      st.socket = s;
      // Groups added before the bind completes are joined by its callback.
      s.bind(0, () => { st.bound = true; for (const g of st.joins.keys()) doJoin(s, g); });
    } else if (st.bound) {
      doJoin(st.socket, group);
    }
  }

  #leaveGroup(st: IfaceState, ip: string): void {
    const group = solicitedNodeGroup(ip);
    const n = st.joins.get(group) ?? 0;
    if (n > 1) { st.joins.set(group, n - 1); return; }
    st.joins.delete(group);
    try { st.socket?.dropMembership(group, `::%${st.responder.ifname}`); } catch { /* link gone */ }
  }

  #closeIface(ifname: string): void {
    const st = this.#ifaces.get(ifname);
    if (!st) return;
    for (const ip of [...st.responder.owned]) this.#release(st, ip);
    st.responder.syncOwned();
    st.responder.close();
    try { st.socket?.close(); } catch { /* closed */ }
    this.#ifaces.delete(ifname);
  }
}

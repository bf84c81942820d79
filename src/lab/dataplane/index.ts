// The lab's data plane: real listeners on loopback addresses for pods, Services (kube-proxy), load balancers,
// DNS and the ingress/gateway proxies, plus the kubelet's real prober. Every part is a Controller fed from the
// Store through work queues, like the control plane's controllers.
//
// Linux routes all of 127.0.0.0/8 to lo, so the lab binds LB addresses (127.0.10.0/24), pod IPs (127.1.N.0/24),
// ClusterIPs (127.2.0.0/16) and node IPs (127.0.1.N) directly. Where extra loopback addresses cannot be bound
// (macOS without aliases), start() says so in info().reason and nothing else starts: the lab runs the control
// plane only.
import type { LogStore } from '../runtime/logs.ts';
import type { Store } from '../store/store.ts';
import type { ResourceRegistry } from '../resources.ts';
import type { CertificateAuthority } from '../pki.ts';
import type { ControllerContext } from '../controllers/runtime.ts';
import type { DataPlaneInfo, PodServerProvider, Prober } from './types.ts';
import { checkLoopback, connectFrom } from './net.ts';
import { createProber } from './prober.ts';
import { createCore, type DataPlaneCore, type DataPlaneServices } from './core.ts';
import { startDns } from './dns.ts';
import { ingressNginxProvider } from './proxies/ingress-nginx.ts';
import { envoyProxyProvider } from './proxies/envoy.ts';
import { startTraffic } from './traffic.ts';
import { createServer, type Server } from 'node:net';

/**
 * The data plane binds fixed loopback addresses (docs/LAB.md), so one lab per machine serves it. The first lab
 * holds this address; a second one finds it taken and runs the control plane only, saying so in one line.
 */
export const DATAPLANE_LOCK = { host: '127.0.10.1', port: 6553 };

function claimLock(): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const srv = createServer((s) => s.destroy());
    srv.once('error', () => resolve(undefined));
    srv.listen({ host: DATAPLANE_LOCK.host, port: DATAPLANE_LOCK.port, exclusive: true }, () => resolve(srv));
  });
}

export interface DataPlaneLab {
  store: Store;
  registry: ResourceRegistry;
  logs: LogStore;
  ca: CertificateAuthority;
  controllers: { ctx: ControllerContext };
  /** The API server URL (https://127.0.0.1:PORT): where the `kubernetes` Service forwards. */
  server?: string;
}

export interface DataPlaneOptions {
  /** Background requests per second through the load balancers to every Ingress host (`--traffic`). */
  trafficRps?: number;
  /** Where one-line reports go (default: stderr, prefixed `lab: data plane:`). */
  log?: (line: string) => void;
}

export { createCore, type DataPlaneCore, type DataPlaneServices } from './core.ts';

export class DataPlane {
  /** The PodServerProviders the pod servers hand claimed pods to (the same array the pod servers read). */
  readonly providers: PodServerProvider[];
  readonly prober: Prober;
  private core?: DataPlaneCore;
  private dns?: { resolver: string; resolvers: string[]; stop(): Promise<void> };
  private traffic?: { stop(): void };
  private infoValue: DataPlaneInfo;

  private constructor(info: DataPlaneInfo, prober: Prober, providers: PodServerProvider[] = []) {
    this.infoValue = info;
    this.prober = prober;
    this.providers = providers;
  }

  static async start(lab: DataPlaneLab, opts: DataPlaneOptions = {}): Promise<DataPlane> {
    const log = opts.log ?? ((l: string) => console.error(`lab: data plane: ${l}`));
    const loop = await checkLoopback();
    if (!loop.ok) {
      // Control plane only. The prober exists but has nothing to reach: the kubelet keeps its rule (info().enabled).
      log(loop.reason);
      return new DataPlane({ enabled: false, reason: loop.reason, resolver: null, resolvers: [] }, createProber());
    }
    const lock = await claimLock();
    if (!lock) {
      const reason = `another lab on this machine serves the data plane (${DATAPLANE_LOCK.host}:${DATAPLANE_LOCK.port} is taken); this lab runs the control plane only`;
      log(reason);
      return new DataPlane({ enabled: false, reason, resolver: null, resolvers: [] }, createProber());
    }
    const ctx = lab.controllers.ctx;
    let dns: DataPlane['dns'];
    try {
      dns = await startDns(ctx);
    } catch (e) {
      log(`DNS not started: ${(e as Error)?.message ?? e}`);
    }
    const resolvers = dns ? (dns.resolvers.length ? dns.resolvers : [dns.resolver]) : [];
    const providers: PodServerProvider[] = [];
    const core = createCore(ctx, { providers, log, server: lab.server, reserve: resolvers });
    const services: DataPlaneServices = {
      policy: core.policy.check,
      egressAllowed: core.policy.egressAllowed,
      connectFrom: (podIP, host, port) => connectFrom(podIP, host, port),
    };
    providers.push(ingressNginxProvider(ctx, services), envoyProxyProvider(ctx, services));
    const dp = new DataPlane({ enabled: true, resolver: dns?.resolver ?? null, resolvers }, core.prober, providers);
    dp.core = core;
    dp.dns = dns;
    dp.lock = lock;
    core.start();
    // Pod listeners first, then the Services and load balancers that follow them: a few queue rounds.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setImmediate(r));
      await Promise.all([core.listeners.settled(), core.udp.settled()]);
    }
    if (opts.trafficRps && opts.trafficRps > 0) dp.traffic = startTraffic(ctx, opts.trafficRps);
    return dp;
  }

  info(): DataPlaneInfo {
    return { ...this.infoValue, resolvers: [...this.infoValue.resolvers] };
  }

  /** The running parts (undefined when the data plane is disabled), for tests and diagnostics. */
  get parts(): DataPlaneCore | undefined {
    return this.core;
  }

  private lock?: Server;

  async stop(): Promise<void> {
    this.traffic?.stop();
    this.traffic = undefined;
    await this.core?.stop();
    this.core = undefined;
    for (const p of this.providers) (p as PodServerProvider & { close?: () => void }).close?.();
    await this.dns?.stop();
    this.dns = undefined;
    // released last, so a lab starting meanwhile never binds addresses this one still holds
    await new Promise<void>((r) => (this.lock ? this.lock.close(() => r()) : r()));
    this.lock = undefined;
  }
}

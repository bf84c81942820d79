// The data plane's core, without DNS, proxies and traffic: listeners, NetworkPolicy, pod servers, kube-proxy,
// load balancers and the prober, wired over a lab's controller context. DataPlane.start (index.ts) builds it
// and adds the other parts around it; tests can start it alone.
import type * as net from 'node:net';
import type { Controller, ControllerContext } from '../controllers/runtime.ts';
import type { PodServerProvider, PolicyCheck, Prober } from './types.ts';
import { Blackhole, ListenerManager } from './net.ts';
import { ClusterIndex, createPolicyEngine, type PolicyEngine } from './policy.ts';
import { type PodServers, podServers } from './pods.ts';
import { createProber } from './prober.ts';
import { type KubeProxy, kubeProxy } from './kubeproxy.ts';
import { type LoadBalancers, loadBalancers } from './loadbalancer.ts';

/** What providers and other parts get from the data plane. */
export interface DataPlaneServices {
  policy: PolicyCheck;
  connectFrom(podIP: string, host: string, port: number): net.Socket;
}

/** The core parts, started in this order; DataPlane.start adds DNS, providers and traffic around them. */
export interface DataPlaneCore {
  listeners: ListenerManager;
  blackhole: Blackhole;
  index: ClusterIndex;
  policy: PolicyEngine;
  pods: PodServers;
  kubeProxy: KubeProxy;
  loadBalancers: LoadBalancers;
  prober: Prober;
  /** Subscribes the parts to the Store and starts them. */
  start(): void;
  stop(): Promise<void>;
}

/**
 * Builds the core (listeners, policy, pod servers, kube-proxy, load balancers, prober) over a lab's controller
 * context. `providers` may be filled after this returns and before start().
 */
export function createCore(ctx: ControllerContext, opts: { providers: PodServerProvider[]; log?: (line: string) => void; server?: string; reserve?: string[] }): DataPlaneCore {
  const log = opts.log ?? ((l: string) => console.error(`lab: data plane: ${l}`));
  const listeners = new ListenerManager({ log });
  for (const hp of opts.reserve ?? []) {
    const m = /^(.*):(\d+)$/.exec(hp);
    if (m) listeners.reserve(m[1]!, Number(m[2]));
  }
  const blackhole = new Blackhole();
  const index = new ClusterIndex(ctx);
  const policy = createPolicyEngine(ctx, index);
  const pods = podServers({ listeners, policy: policy.check, providers: opts.providers, blackhole, log });
  let apiServer: { host: string; port: number } | undefined;
  if (opts.server) {
    try {
      const u = new URL(opts.server);
      apiServer = { host: u.hostname, port: Number(u.port || 443) };
    } catch {
      apiServer = undefined;
    }
  }
  const kp = kubeProxy({ listeners, index, blackhole, apiServer, log });
  const lbs = loadBalancers({ listeners, index, kubeProxy: kp, blackhole, log });
  const parts: Controller[] = [pods, kp, lbs];
  let unsubscribe: (() => void) | undefined;
  return {
    listeners,
    blackhole,
    index,
    policy,
    pods,
    kubeProxy: kp,
    loadBalancers: lbs,
    prober: createProber(),
    start() {
      for (const p of parts) p.start?.(ctx);
      unsubscribe = ctx.store.subscribe((ev, def) => {
        index.onEvent(ev, def);
        policy.onEvent(ev, def);
        for (const p of parts) p.onEvent?.(ev, def, ctx);
      });
    },
    async stop() {
      unsubscribe?.();
      for (const p of [...parts].reverse()) p.stop?.();
      blackhole.close();
      await listeners.close();
    },
  };
}

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
import { UdpConntrack, UdpListeners } from './udp.ts';
import { dnsAnswerer, PRIMARY_RESOLVER_IP } from './dns.ts';

/** What providers and other parts get from the data plane. */
export interface DataPlaneServices {
  /** The source pod's egress and the target pod's ingress NetworkPolicies both admit the connection. */
  policy: PolicyCheck;
  /** Egress NetworkPolicy of the pod using sourceIP towards a destination that is not a pod (see policy.ts). */
  egressAllowed?: (sourceIP: string, destIP: string, port: number, protocol: string) => boolean;
  connectFrom(podIP: string, host: string, port: number): net.Socket;
}

/** The core parts, started in this order; DataPlane.start adds DNS, providers and traffic around them. */
export interface DataPlaneCore {
  listeners: ListenerManager;
  /** UDP listeners (pod UDP ports, UDP Service ports, UDP load balancers). */
  udp: UdpListeners;
  /** UDP connection tracking (kube-proxy and load-balancer UDP flows). */
  conntrack: UdpConntrack;
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
  const udp = new UdpListeners({ log });
  const conntrack = new UdpConntrack();
  let primaryPort = 53;
  for (const hp of opts.reserve ?? []) {
    const m = /^(.*):(\d+)$/.exec(hp);
    if (m) {
      udp.reserve(m[1]!, Number(m[2]));
      if (m[1] === PRIMARY_RESOLVER_IP) primaryPort = Number(m[2]);
    }
  }
  const blackhole = new Blackhole();
  const index = new ClusterIndex(ctx);
  const policy = createPolicyEngine(ctx, index);
  const dns = dnsAnswerer(ctx, { name: 'primary', ip: PRIMARY_RESOLVER_IP, port: primaryPort });
  const pods = podServers({ listeners, udp, dns, policy: policy.check, providers: opts.providers, blackhole, log });
  let apiServer: { host: string; port: number } | undefined;
  if (opts.server) {
    try {
      const u = new URL(opts.server);
      apiServer = { host: u.hostname, port: Number(u.port || 443) };
    } catch {
      apiServer = undefined;
    }
  }
  const kp = kubeProxy({ listeners, udp, conntrack, index, blackhole, apiServer, egress: policy.egressAllowed, log });
  const lbs = loadBalancers({ listeners, udp, index, kubeProxy: kp, blackhole, log });
  const parts: Controller[] = [pods, kp, lbs];
  let unsubscribe: (() => void) | undefined;
  return {
    listeners,
    udp,
    conntrack,
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
      conntrack.close();
      await Promise.all([listeners.close(), udp.close()]);
    },
  };
}

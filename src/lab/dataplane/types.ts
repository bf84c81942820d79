// Contracts between the parts of the lab's data plane. Every part is a Controller (src/lab/controllers/runtime.ts):
// it reacts to Store changes and binds or closes real loopback listeners accordingly.
import type { Socket } from 'node:net';
import type { KObject } from '../types.ts';

/**
 * Who owns a pod's listeners. The generic pod server (pods.ts) answers every declared containerPort of a running
 * container unless a provider claims the pod: ingress controllers and gateway proxies (proxies.ts) serve their
 * own ports. Providers register in `DataPlane.providers` before the data plane starts.
 */
export interface PodServerProvider {
  readonly name: string;
  /** True when this provider serves the pod's ports (checked when the pod becomes Running). */
  claims(pod: KObject): boolean;
  /**
   * Handles one accepted connection on the pod's `ip:port` (already NetworkPolicy-admitted). The socket is
   * plain TCP: a provider that serves TLS wraps it itself.
   */
  connection(pod: KObject, port: number, socket: Socket): void;
}

/** Decides whether a connection from `sourceIP` to a pod port is admitted by the NetworkPolicies of the pod's namespace. */
export type PolicyCheck = (pod: KObject, port: number, protocol: string, sourceIP: string) => boolean;

/** What the kubelet asks the data plane when a probe is due (replaces the control-plane-only readiness rule). */
export interface ProbeResult {
  ok: boolean;
  /** The kubelet's wording on failure: `HTTP probe failed with statuscode: 503`, `Get "http://…": dial tcp …: connect: connection refused`. */
  message?: string;
}

export type Prober = (pod: KObject, container: KObject, probe: KObject, kind: 'readiness' | 'liveness' | 'startup') => Promise<ProbeResult>;

/** Addresses the data plane serves, for the lab's ready line and the docs. */
export interface DataPlaneInfo {
  enabled: boolean;
  /** Why it runs control-plane only, when it does (one line). */
  reason?: string;
  resolver: string | null;
  resolvers: string[];
}

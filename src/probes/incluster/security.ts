// PodSecurity-aware choice of what a helper pod asks for. The namespace's `pod-security.kubernetes.io/enforce`
// label decides the first choice; the server-side dry run confirms it, and a refusal (403 "violates PodSecurity
// "LEVEL:VERSION": …") steps down one profile. Pure: no I/O here.

export type PsaLevel = 'privileged' | 'baseline' | 'restricted';

/**
 * What a helper asks for:
 * - `node`: hostNetwork, privileged (ipvsadm, iptables-save, conntrack need the node's netns and NET_ADMIN); privileged level only.
 * - `netraw`: adds NET_RAW (traceroute -T, tcptraceroute, ping); privileged level only (baseline forbids adding it).
 * - `baseline`: adds nothing. Root is allowed; containerd's default capabilities still include NET_RAW, CRI-O's do not.
 * - `restricted`: non-root, no privilege escalation, every capability dropped, seccomp RuntimeDefault. No raw sockets.
 */
export type Profile = 'node' | 'netraw' | 'baseline' | 'restricted';

export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

/** The enforce level of a namespace's labels; an absent or unknown value is `privileged`, as the admission treats it. */
export function enforceLevel(labels: Record<string, string> | undefined): PsaLevel {
  const v = labels?.[ENFORCE_LABEL];
  return v === 'baseline' || v === 'restricted' ? v : 'privileged';
}

/** Profiles a level admits, most capable first. */
export function admits(level: PsaLevel, p: Profile): boolean {
  if (level === 'privileged') return true;
  if (level === 'baseline') return p === 'baseline' || p === 'restricted';
  return p === 'restricted';
}

export interface ProfileNeeds {
  /** The node view: only `node` will do. */
  node?: boolean;
  /** Raw sockets wanted (works without them, degraded). */
  raw?: boolean;
}

/** The best profile for the need under a level, or undefined when the level forbids what is needed. */
export function chooseProfile(level: PsaLevel, needs: ProfileNeeds = {}): Profile | undefined {
  if (needs.node) return level === 'privileged' ? 'node' : undefined;
  const order: Profile[] = needs.raw ? ['netraw', 'baseline', 'restricted'] : ['baseline', 'restricted'];
  return order.find((p) => admits(level, p));
}

/** The next profile to try after `p` was refused; undefined when nothing less is possible. */
export function stepDown(p: Profile, refusedBy?: PsaLevel): Profile | undefined {
  const order: Profile[] = ['netraw', 'baseline', 'restricted'];
  if (p === 'node') return undefined;
  const rest = order.slice(order.indexOf(p) + 1);
  return refusedBy ? rest.find((x) => admits(refusedBy, x)) : rest[0];
}

/** The level named in a PodSecurity refusal: `… violates PodSecurity "baseline:latest": …`. */
export function refusedLevel(message: string): PsaLevel | undefined {
  const m = /violates PodSecurity "(privileged|baseline|restricted)(?::[^"]*)?"/.exec(message);
  return m ? (m[1] as PsaLevel) : undefined;
}

/** Whether the profile can open raw sockets for sure (NET_RAW asked for and admitted). */
export function hasRaw(p: Profile): boolean {
  return p === 'node' || p === 'netraw';
}

export interface SecurityFields {
  pod: Record<string, unknown>;
  container: Record<string, unknown>;
  hostNetwork?: boolean;
}

/** The pod- and container-level fields of a profile. */
export function securityFor(p: Profile): SecurityFields {
  switch (p) {
    case 'node':
      return { pod: {}, container: { privileged: true, capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } }, hostNetwork: true };
    case 'netraw':
      return { pod: {}, container: { capabilities: { add: ['NET_RAW'] } } };
    case 'baseline':
      return { pod: {}, container: {} };
    case 'restricted':
      return {
        pod: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
        container: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true },
      };
  }
}

/** One line explaining a refusal and the option that works. */
export function refusalMessage(o: { namespace: string; level: PsaLevel; what: string; serverMessage?: string }): string {
  const why = o.what === 'node' ? 'the privileged hostNetwork pod the node view needs' : `the ${o.what} helper pod`;
  return (
    `namespace "${o.namespace}" enforces PodSecurity "${o.level}", which refuses ${why}` +
    (o.what === 'node'
      ? `: run it in a namespace without that label (--probe-namespace NS), or use the ladder, dig and curl probes, which need no privilege`
      : `: pass --probe-namespace NS for a namespace that admits it, or --image with a non-root image`) +
    (o.serverMessage ? ` (server: ${o.serverMessage.replace(/\s+/g, ' ').slice(0, 240)})` : '')
  );
}

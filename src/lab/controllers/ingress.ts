// Ingress status as ingress-nginx writes it (internal/ingress/status): every running controller pod that claims
// an Ingress's class posts `Sync "Scheduled for sync"` when it sees the Ingress change, and the status sync
// publishes the controller's address (the `--publish-service` Service's load-balancer address, else
// `--publish-status-address`, else the IPs of the nodes running the controller) into status.loadBalancer.
// Ingresses no running controller claims are left alone; when the last controller pod of an installation goes,
// the Ingresses it published are cleared, as ingress-nginx does on shutdown.
import type { ResourceDef } from '../resources.ts';
import type { KObject } from '../types.ts';
import { deepEqual } from '../store/equal.ts';
import { type Controller, type ControllerContext, keyOf, splitKey, WorkQueue } from './runtime.ts';

export const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const DEFAULT_CONTROLLER_CLASS = 'k8s.io/ingress-nginx';
export const DEFAULT_INGRESS_CLASS = 'nginx';
const COMPONENT = 'nginx-ingress-controller';

/** The flags of an ingress-nginx controller pod that decide what it serves and publishes. */
export interface IngressControllerArgs {
  /** `--controller-class`, matched against IngressClass spec.controller. */
  controllerClass: string;
  /** `--ingress-class`: the `kubernetes.io/ingress.class` annotation value it accepts (and the class name with --ingress-class-by-name). */
  ingressClass: string;
  ingressClassByName: boolean;
  watchIngressWithoutClass: boolean;
  /** `--publish-service` as namespace/name, variables expanded. */
  publishService?: string;
  /** `--publish-status-address`, split on commas. */
  publishStatusAddress?: string[];
  /** `--update-status` (default true). */
  updateStatus: boolean;
  /** `--watch-namespace`: only Ingresses in this namespace (all when unset). */
  watchNamespace?: string;
}

function isIngressNginx(c: any): boolean {
  const argv: string[] = [...(c?.command ?? []), ...(c?.args ?? [])].map(String);
  if (argv.some((a) => /(^|\/)nginx-ingress-controller$/.test(a))) return true;
  if (typeof c?.image === 'string' && /ingress-nginx\/controller(:|@|$)/.test(c.image)) return true;
  return argv.some((a) => /^--(controller-class|ingress-class|publish-service)(=|$)/.test(a));
}

/** $(VAR) expansion as the kubelet does it, from the container's env (literal values and the usual fieldRefs). */
function expander(pod: KObject, c: any): (s: string) => string {
  const vars = new Map<string, string>();
  for (const e of c?.env ?? []) {
    if (typeof e?.name !== 'string') continue;
    if (typeof e.value === 'string') vars.set(e.name, e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m: string, v: string) => vars.get(v) ?? m));
    else if (e.valueFrom?.fieldRef?.fieldPath) {
      const f = e.valueFrom.fieldRef.fieldPath;
      const v =
        f === 'metadata.namespace' ? pod.metadata.namespace
        : f === 'metadata.name' ? pod.metadata.name
        : f === 'spec.nodeName' ? pod.spec?.nodeName
        : f === 'status.podIP' ? pod.status?.podIP
        : f === 'spec.serviceAccountName' ? pod.spec?.serviceAccountName
        : undefined;
      if (typeof v === 'string') vars.set(e.name, v);
    }
  }
  return (s) => s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m: string, v?: string) => (m === '$$' ? '$' : vars.get(v!) ?? m));
}

/**
 * Parses an ingress-nginx controller pod's flags (`--flag=value` or `--flag value`), with $(POD_NAMESPACE) and
 * other env references expanded. Undefined when the pod runs no ingress-nginx controller.
 */
export function controllerArgs(pod: KObject): IngressControllerArgs | undefined {
  const c = (pod.spec?.containers ?? []).find(isIngressNginx);
  if (!c) return undefined;
  const expand = expander(pod, c);
  const argv: string[] = [...(c.command ?? []), ...(c.args ?? [])].map((a: unknown) => expand(String(a)));
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([A-Za-z0-9-]+)(?:=(.*))?$/s.exec(argv[i]!);
    if (!m) continue;
    if (m[2] !== undefined) flags.set(m[1]!, m[2]);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) flags.set(m[1]!, argv[++i]!);
    else flags.set(m[1]!, 'true');
  }
  const bool = (name: string, dflt: boolean) => {
    const v = flags.get(name);
    return v === undefined ? dflt : v === 'true' || v === '1' || v === 't' || v === 'TRUE' || v === 'True';
  };
  const publish = flags.get('publish-service');
  const statusAddr = flags.get('publish-status-address');
  return {
    controllerClass: flags.get('controller-class') || DEFAULT_CONTROLLER_CLASS,
    ingressClass: flags.get('ingress-class') || DEFAULT_INGRESS_CLASS,
    ingressClassByName: bool('ingress-class-by-name', false),
    watchIngressWithoutClass: bool('watch-ingress-without-class', false),
    ...(publish ? { publishService: publish.includes('/') ? publish : `${pod.metadata.namespace}/${publish}` } : {}),
    ...(statusAddr ? { publishStatusAddress: statusAddr.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    updateStatus: bool('update-status', true),
    ...(flags.get('watch-namespace') ? { watchNamespace: flags.get('watch-namespace') } : {}),
  };
}

/** The IngressClass the cluster treats as default: annotated is-default-class "true", the newest if several. */
export function defaultIngressClass(ingressClasses: KObject[]): KObject | undefined {
  return ingressClasses
    .filter((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true')
    .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))[0];
}

/**
 * An Ingress's class: spec.ingressClassName, else the legacy `kubernetes.io/ingress.class` annotation, else the
 * default IngressClass (what the DefaultIngressClass admission plugin would have written). Undefined when none.
 */
export function ingressClassOf(ingress: KObject, ingressClasses: KObject[]): string | undefined {
  const byName = ingress.spec?.ingressClassName;
  if (typeof byName === 'string' && byName) return byName;
  const ann = ingress.metadata.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (typeof ann === 'string') return ann;
  return defaultIngressClass(ingressClasses)?.metadata.name;
}

/** Whether a controller with these flags serves this Ingress (ingress-nginx's store filters). */
export function claims(args: IngressControllerArgs, ingress: KObject, ingressClasses: KObject[]): boolean {
  if (args.watchNamespace && ingress.metadata.namespace !== args.watchNamespace) return false;
  const classObjClaimed = (name: string) => {
    const ic = ingressClasses.find((c) => c.metadata.name === name);
    if (!ic) return false; // "Ignoring ingress because of error while validating ingress class"
    return ic.spec?.controller === args.controllerClass || (args.ingressClassByName && name === args.ingressClass);
  };
  const byName = ingress.spec?.ingressClassName;
  if (typeof byName === 'string' && byName) return classObjClaimed(byName);
  const ann = ingress.metadata.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (typeof ann === 'string') return ann === args.ingressClass;
  const dflt = defaultIngressClass(ingressClasses);
  if (dflt) return classObjClaimed(dflt.metadata.name!);
  return args.watchIngressWithoutClass;
}

interface ControllerPod {
  pod: KObject;
  args: IngressControllerArgs;
  /** One installation: pods that share a namespace and flags publish the same address. */
  group: string;
}

const ALL = '\0all';

export function ingressStatusController(): Controller {
  let queue: WorkQueue | undefined;
  let ctx: ControllerContext;
  let defs: { ing: ResourceDef; ic: ResourceDef; pod: ResourceDef; svc: ResourceDef; node: ResourceDef };
  /** Running ingress-nginx pods by pod key. */
  const controllers = new Map<string, ControllerPod>();
  /** Which installation last published each Ingress's status. */
  const published = new Map<string, string>();
  /** pod uid → ingress uid → the resourceVersion that pod last saw (for "Scheduled for sync"). */
  const seen = new Map<string, Map<string, string>>();

  function groupOf(pod: KObject, a: IngressControllerArgs): string {
    return JSON.stringify([pod.metadata.namespace, a.controllerClass, a.ingressClass, a.publishService ?? '', a.publishStatusAddress ?? [], a.watchNamespace ?? '']);
  }

  function trackPod(pod: KObject | undefined, key: string): boolean {
    const before = controllers.get(key);
    const running = pod && pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp;
    const args = running ? controllerArgs(pod) : undefined;
    if (!args) {
      if (before) {
        controllers.delete(key);
        seen.delete(before.pod.metadata.uid!);
        return true;
      }
      return false;
    }
    controllers.set(key, { pod: pod!, args, group: groupOf(pod!, args) });
    return !before || before.group !== groupOf(pod!, args) || before.pod.spec?.nodeName !== pod!.spec?.nodeName;
  }

  /** statusAddressFromService / node addresses, sorted as ingress-nginx sorts them. */
  function addressesOf(group: ControllerPod[]): any[] {
    const { args } = group[0]!;
    const out: any[] = [];
    if (args.publishService) {
      const [ns, name] = splitKey(args.publishService);
      const svc = ctx.store.get(defs.svc, ns, name);
      if (svc) {
        const s = svc.spec ?? {};
        switch (s.type ?? 'ClusterIP') {
          case 'ExternalName':
            out.push({ hostname: s.externalName });
            break;
          case 'ClusterIP':
            if (s.clusterIP) out.push({ ip: s.clusterIP });
            break;
          case 'NodePort':
            if (!s.externalIPs?.length) {
              if (s.clusterIP) out.push({ ip: s.clusterIP });
            } else for (const ip of s.externalIPs) out.push({ ip });
            break;
          case 'LoadBalancer':
            for (const i of svc.status?.loadBalancer?.ingress ?? []) {
              const a: any = {};
              if (i?.ip) a.ip = i.ip;
              if (i?.hostname) a.hostname = i.hostname;
              out.push(a);
            }
            for (const ip of s.externalIPs ?? []) if (!out.some((a) => a.ip === ip)) out.push({ ip });
            break;
        }
      }
    } else if (args.publishStatusAddress?.length) {
      for (const a of args.publishStatusAddress) out.push(/^[\d.]+$|:/.test(a) ? { ip: a } : { hostname: a });
    } else {
      const seenIp = new Set<string>();
      for (const { pod } of group) {
        const node = pod.spec?.nodeName ? ctx.store.get(defs.node, undefined, pod.spec.nodeName) : undefined;
        const addrs: any[] = node?.status?.addresses ?? [];
        const ip = addrs.find((a) => a?.type === 'ExternalIP' && a.address)?.address ?? addrs.find((a) => a?.type === 'InternalIP' && a.address)?.address;
        if (ip && !seenIp.has(ip)) {
          seenIp.add(ip);
          out.push({ ip });
        }
      }
    }
    // sortIngressSlice: by IP, then hostname, byte-wise
    const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    return out.sort((a, b) => cmp(a.ip ?? '', b.ip ?? '') || cmp(a.hostname ?? '', b.hostname ?? ''));
  }

  function writeStatus(ing: KObject, addrs: any[]): void {
    const want = addrs.length ? { ingress: addrs } : {};
    if (deepEqual(ing.status?.loadBalancer ?? {}, want)) return;
    ctx.store.mutate(defs.ing, ing.metadata.namespace, ing.metadata.name!, (d) => {
      d.status = { ...(d.status ?? {}), loadBalancer: want };
    });
  }

  function reconcile(key: string): void {
    const { store } = ctx;
    if (key === ALL) {
      for (const ing of store.list(defs.ing)) reconcile(keyOf(ing));
      return;
    }
    const [ns, name] = splitKey(key);
    const ing = store.get(defs.ing, ns, name);
    if (!ing) {
      published.delete(key);
      return;
    }
    const classes = store.list(defs.ic);
    const claimers = [...controllers.values()]
      .filter((c) => claims(c.args, ing, classes))
      .sort((a, b) => a.group.localeCompare(b.group) || keyOf(a.pod).localeCompare(keyOf(b.pod)));
    if (!claimers.length) {
      const group = published.get(key);
      if (group !== undefined) {
        published.delete(key);
        // The installation that published this Ingress is gone: it cleared the status on its way out.
        if (![...controllers.values()].some((c) => c.group === group)) writeStatus(ing, []);
      }
      return;
    }
    // Each controller pod's informer sees the change and its recorder posts "Scheduled for sync".
    const rv = ing.metadata.resourceVersion ?? '';
    for (const c of claimers) {
      const podUid = c.pod.metadata.uid!;
      let m = seen.get(podUid);
      if (!m) seen.set(podUid, (m = new Map()));
      if (m.get(ing.metadata.uid!) !== rv) {
        m.set(ing.metadata.uid!, rv);
        ctx.event(ing, 'Normal', 'Sync', 'Scheduled for sync', COMPONENT);
      }
    }
    if (ing.metadata.deletionTimestamp) return;
    const group = claimers[0]!.group;
    const members = claimers.filter((c) => c.group === group);
    if (!members[0]!.args.updateStatus) return;
    published.set(key, group);
    writeStatus(ing, addressesOf([...controllers.values()].filter((c) => c.group === group).sort((a, b) => keyOf(a.pod).localeCompare(keyOf(b.pod)))));
  }

  return {
    name: 'ingress-status',
    start(c) {
      ctx = c;
      defs = {
        ing: c.type('networking.k8s.io', 'ingresses'),
        ic: c.type('networking.k8s.io', 'ingressclasses'),
        pod: c.type('', 'pods'),
        svc: c.type('', 'services'),
        node: c.type('', 'nodes'),
      };
      queue = new WorkQueue(reconcile, (k, e) => console.error(`lab: ingress status controller: ${k}: ${(e as Error)?.stack ?? e}`));
      for (const p of c.store.list(defs.pod)) trackPod(p, keyOf(p));
      queue.add(ALL);
    },
    onEvent(ev, def) {
      if (!queue) return;
      const o = ev.object;
      if (def.group === 'networking.k8s.io' && def.plural === 'ingresses') {
        if (ev.type === 'DELETED') {
          published.delete(keyOf(o));
          for (const m of seen.values()) m.delete(o.metadata.uid!);
        } else queue.add(keyOf(o));
      } else if (def.group === 'networking.k8s.io' && def.plural === 'ingressclasses') {
        queue.add(ALL);
      } else if (def.group === '' && def.plural === 'pods') {
        if (trackPod(ev.type === 'DELETED' ? undefined : o, keyOf(o))) queue.add(ALL);
      } else if (def.group === '' && def.plural === 'services') {
        const k = keyOf(o);
        if ([...controllers.values()].some((c) => c.args.publishService === k)) queue.add(ALL);
      } else if (def.group === '' && def.plural === 'nodes') {
        if (ev.type !== 'MODIFIED' || !deepEqual(o.status?.addresses, ev.old?.status?.addresses)) {
          if ([...controllers.values()].some((c) => !c.args.publishService && !c.args.publishStatusAddress)) queue.add(ALL);
        }
      }
    },
    stop() {
      queue?.stop();
    },
  };
}

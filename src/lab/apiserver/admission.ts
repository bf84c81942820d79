// Defaulting and validation on create/update, as the apiserver's registry strategies do for the kinds the lab
// simulates. Only what the lab's controllers, kubectl's printers and the product rely on is defaulted.
import type { ResourceDef } from '../resources.ts';
import type { KObject } from '../types.ts';
import { invalid } from '../store/errors.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Kinds whose names must be DNS-1123 labels rather than subdomains. */
const LABEL_NAMED = new Set(['Namespace', 'Service']);
/** Kinds whose names only need to be valid path segments (RBAC: `system:coredns`). */
const PATH_SEGMENT_NAMED = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

type Cause = { field: string; message: string };

export function defaultPodSpec(spec: any): void {
  if (!spec) return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  spec.serviceAccountName ??= spec.serviceAccount ?? 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.enableServiceLinks ??= true;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  spec.priority ??= 0;
  for (const list of [spec.containers, spec.initContainers, spec.ephemeralContainers]) {
    for (const c of list ?? []) {
      c.terminationMessagePath ??= '/dev/termination-log';
      c.terminationMessagePolicy ??= 'File';
      c.imagePullPolicy ??= /:latest$|^[^:]*$/.test(c.image ?? '') ? 'Always' : 'IfNotPresent';
      c.resources ??= {};
      for (const p of c.ports ?? []) p.protocol ??= 'TCP';
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
        if (!probe) continue;
        probe.timeoutSeconds ??= 1;
        probe.periodSeconds ??= 10;
        probe.successThreshold ??= 1;
        probe.failureThreshold ??= 3;
        if (probe.httpGet) probe.httpGet.scheme ??= 'HTTP';
        if (probe.httpGet) probe.httpGet.path ??= '/';
      }
    }
  }
}

/** The DefaultTolerationSeconds admission plugin: pods (not templates) tolerate not-ready/unreachable for 300 s. */
function defaultTolerationSeconds(spec: any): void {
  const tol: any[] = (spec.tolerations ??= []);
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tol.some((t) => (t.key === key || (t.key === undefined && t.operator === 'Exists')) && (t.effect === 'NoExecute' || !t.effect)))
      tol.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
}

function defaultTemplateSpec(obj: KObject): void {
  defaultPodSpec(obj.spec?.template?.spec);
}

const DEFAULTERS: Record<string, (o: KObject) => void> = {
  Pod(o) {
    o.spec ??= {};
    defaultPodSpec(o.spec);
    defaultTolerationSeconds(o.spec);
    o.status ??= {};
    if (!o.status.phase) o.status.phase = 'Pending';
    o.status.qosClass ??= qosClass(o.spec);
  },
  Service(o) {
    const s = (o.spec ??= {});
    s.type ??= 'ClusterIP';
    s.sessionAffinity ??= 'None';
    if (s.type !== 'ExternalName') {
      s.ipFamilies ??= ['IPv4'];
      s.ipFamilyPolicy ??= 'SingleStack';
      s.internalTrafficPolicy ??= 'Cluster';
    }
    if (s.type === 'LoadBalancer' || s.type === 'NodePort') {
      s.externalTrafficPolicy ??= 'Cluster';
      if (s.type === 'LoadBalancer') s.allocateLoadBalancerNodePorts ??= true;
    }
    for (const p of s.ports ?? []) {
      p.protocol ??= 'TCP';
      p.targetPort ??= p.port;
    }
    o.status ??= { loadBalancer: {} };
  },
  Deployment(o) {
    const s = (o.spec ??= {});
    s.replicas ??= 1;
    s.revisionHistoryLimit ??= 10;
    s.progressDeadlineSeconds ??= 600;
    s.strategy ??= { type: 'RollingUpdate' };
    if (s.strategy.type === 'RollingUpdate') s.strategy.rollingUpdate ??= { maxSurge: '25%', maxUnavailable: '25%' };
    defaultTemplateSpec(o);
  },
  ReplicaSet(o) {
    (o.spec ??= {}).replicas ??= 1;
    defaultTemplateSpec(o);
  },
  DaemonSet(o) {
    const s = (o.spec ??= {});
    s.revisionHistoryLimit ??= 10;
    s.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
    defaultTemplateSpec(o);
  },
  StatefulSet(o) {
    (o.spec ??= {}).replicas ??= 1;
    defaultTemplateSpec(o);
  },
  Job(o) {
    const s = (o.spec ??= {});
    s.completions ??= 1;
    s.parallelism ??= 1;
    s.backoffLimit ??= 6;
    s.completionMode ??= 'NonIndexed';
    s.suspend ??= false;
    const tpl = (s.template ??= {});
    tpl.metadata ??= {};
    defaultTemplateSpec(o);
  },
  Namespace(o) {
    o.metadata.labels = { ...o.metadata.labels, 'kubernetes.io/metadata.name': o.metadata.name! };
    o.spec ??= { finalizers: ['kubernetes'] };
    o.status ??= { phase: 'Active' };
  },
  Secret(o) {
    o.type ??= 'Opaque';
    if (o.stringData) {
      o.data ??= {};
      for (const [k, v] of Object.entries(o.stringData as Record<string, string>)) o.data[k] = Buffer.from(v).toString('base64');
      delete o.stringData;
    }
  },
  Ingress(o) {
    o.status ??= { loadBalancer: {} };
    for (const rule of o.spec?.rules ?? []) for (const p of rule.http?.paths ?? []) p.pathType ??= 'ImplementationSpecific';
  },
  Node(o) {
    o.status ??= {};
  },
};

function qosClass(spec: any): string {
  const cs: any[] = spec?.containers ?? [];
  const anyReq = cs.some((c) => c.resources?.requests || c.resources?.limits);
  if (!anyReq) return 'BestEffort';
  const guaranteed = cs.every(
    (c) => c.resources?.limits?.cpu && c.resources?.limits?.memory &&
      (!c.resources.requests || (c.resources.requests.cpu ?? c.resources.limits.cpu) === c.resources.limits.cpu &&
        (c.resources.requests.memory ?? c.resources.limits.memory) === c.resources.limits.memory),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function validateContainers(list: any[] | undefined, path: string, causes: Cause[], required: boolean): void {
  if (!list || list.length === 0) {
    if (required) causes.push({ field: path, message: 'Required value' });
    return;
  }
  const names = new Set<string>();
  list.forEach((c, i) => {
    if (!c?.name) causes.push({ field: `${path}[${i}].name`, message: 'Required value' });
    else if (!DNS1123_LABEL.test(c.name)) causes.push({ field: `${path}[${i}].name`, message: `Invalid value: "${c.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'` });
    else if (names.has(c.name)) causes.push({ field: `${path}[${i}].name`, message: `Duplicate value: "${c.name}"` });
    names.add(c?.name);
    if (!c?.image) causes.push({ field: `${path}[${i}].image`, message: 'Required value' });
    (c?.ports ?? []).forEach((p: any, j: number) => {
      if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535)
        causes.push({ field: `${path}[${i}].ports[${j}].containerPort`, message: `Invalid value: ${JSON.stringify(p.containerPort)}: must be between 1 and 65535, inclusive` });
    });
  });
}

/** Applies defaults then validates; throws a 422 Invalid ApiError listing every cause. */
export function admit(def: ResourceDef, obj: KObject): void {
  const causes: Cause[] = [];
  const name = obj.metadata?.name ?? '';
  if (name && PATH_SEGMENT_NAMED.has(def.kind)) {
    if (name === '.' || name === '..' || /[/%]/.test(name))
      causes.push({ field: 'metadata.name', message: `Invalid value: "${name}": may not contain '/' or '%', and may not be '.' or '..'` });
  } else if (name) {
    const re = LABEL_NAMED.has(def.kind) ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
    if (!re.test(name) || name.length > (LABEL_NAMED.has(def.kind) ? 63 : 253))
      causes.push({
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 ${LABEL_NAMED.has(def.kind) ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
      });
  }
  DEFAULTERS[def.kind]?.(obj);
  switch (def.kind) {
    case 'Pod':
      validateContainers(obj.spec?.containers, 'spec.containers', causes, true);
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
    case 'StatefulSet': {
      validateContainers(obj.spec?.template?.spec?.containers, 'spec.template.spec.containers', causes, true);
      const sel = obj.spec?.selector;
      if (!sel) causes.push({ field: 'spec.selector', message: 'Required value' });
      else {
        const labels = obj.spec?.template?.metadata?.labels ?? {};
        const mismatch = Object.entries(sel.matchLabels ?? {}).some(([k, v]) => labels[k] !== v);
        if (mismatch) causes.push({ field: 'spec.template.metadata.labels', message: `Invalid value: ${JSON.stringify(labels)}: \`selector\` does not match template \`labels\`` });
      }
      break;
    }
    case 'Service': {
      const s = obj.spec ?? {};
      if (s.type !== 'ExternalName' && !(s.ports?.length) && s.clusterIP !== 'None')
        causes.push({ field: 'spec.ports', message: 'Required value' });
      (s.ports ?? []).forEach((p: any, i: number) => {
        if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535)
          causes.push({ field: `spec.ports[${i}].port`, message: `Invalid value: ${JSON.stringify(p.port)}: must be between 1 and 65535, inclusive` });
        if ((s.ports.length > 1) && !p.name) causes.push({ field: `spec.ports[${i}].name`, message: 'Required value' });
      });
      if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(s.type))
        causes.push({ field: 'spec.type', message: `Unsupported value: "${s.type}": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"` });
      break;
    }
    case 'Ingress':
      (obj.spec?.rules ?? []).forEach((r: any, i: number) =>
        (r.http?.paths ?? []).forEach((p: any, j: number) => {
          if (!['Exact', 'Prefix', 'ImplementationSpecific'].includes(p.pathType))
            causes.push({ field: `spec.rules[${i}].http.paths[${j}].pathType`, message: `Unsupported value: "${p.pathType}": supported values: "Exact", "ImplementationSpecific", "Prefix"` });
          if (!p.backend) causes.push({ field: `spec.rules[${i}].http.paths[${j}].backend`, message: 'Required value' });
        }),
      );
      break;
    case 'Secret':
      if (obj.type === 'kubernetes.io/tls' && (obj.data?.['tls.crt'] === undefined || obj.data?.['tls.key'] === undefined))
        causes.push({ field: 'data[tls.crt]', message: 'Required value' });
      break;
  }
  if (causes.length) throw invalid(def.kind, def.group, name, causes);
}

// Server-side Table printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), with the columns and cell
// logic of the apiserver's printers (kubernetes pkg/printers/internalversion) for built-in kinds, the
// additionalPrinterColumns of the Gateway API CRDs, and the apiserver's default tables for everything else.
//
// The apiserver always prints the wide cells too (priority-1 columns); kubectl hides them unless `-o wide`.
import { typeKey, type ResourceDef } from '../resources.ts';
import type { KObject } from '../types.ts';

export interface TableOptions {
  resourceVersion: string;
  includeObject?: 'None' | 'Metadata' | 'Object';
  /** Milliseconds since the epoch; defaults to Date.now(). */
  now?: number;
  continue?: string;
  remainingItemCount?: number;
}

type Cell = string | number | boolean | null;

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

interface Printer {
  columns: Column[];
  cells(obj: KObject, now: number): Cell[];
  conditions?(obj: KObject): object[] | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Durations

/**
 * apimachinery's duration.HumanDuration: about two significant units, "5s", "3m12s", "2d3h", "45d", "3y120d".
 * Up to two seconds in the future reads "0s" (clock skew); further is "<invalid>".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** Go's zero time, as an RFC 3339 timestamp parses. */
const ZERO_TIME = Date.parse('0001-01-01T00:00:00Z');

/** Parses a metav1.Time or MicroTime; undefined when absent, zero or unparsable. */
function parseTime(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  // MicroTime has six fractional digits; keep milliseconds.
  const t = Date.parse(ts.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(t) || t <= ZERO_TIME) return undefined;
  return t;
}

/** The printers' translateTimestampSince: "<unknown>" for an absent timestamp, else the HumanDuration since it. */
export function translateTimestampSince(ts: string | undefined, now: number): string {
  const t = parseTime(ts);
  return t === undefined ? '<unknown>' : humanDuration(now - t);
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting helpers shared with kubectl's printers

const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** labels.FormatLabels: `k=v` sorted by key, "<none>" when empty. */
function formatLabels(m: unknown): string {
  const entries = m && typeof m === 'object' ? Object.entries(m as Record<string, unknown>) : [];
  if (entries.length === 0) return '<none>';
  return entries
    .sort(([a], [b]) => byString(a, b))
    .map(([k, v]) => `${k}=${str(v)}`)
    .join(',');
}

/** metav1.LabelSelectorAsSelector(sel).String(); "" for a nil or empty selector, undefined when invalid. */
function selectorString(sel: any): string | undefined {
  if (!sel || typeof sel !== 'object') return '';
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries((sel.matchLabels ?? {}) as Record<string, unknown>)) reqs.push({ key: k, text: `${k}=${str(v)}` });
  for (const e of arr(sel.matchExpressions)) {
    const key = str(e?.key);
    const values = arr(e?.values).map(str).sort(byString);
    switch (e?.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) return undefined;
        reqs.push({ key, text: `${key} ${e.operator === 'In' ? 'in' : 'notin'} (${values.join(',')})` });
        break;
      case 'Exists':
        reqs.push({ key, text: key });
        break;
      case 'DoesNotExist':
        reqs.push({ key, text: `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  return reqs
    .sort((a, b) => byString(a.key, b.key))
    .map((r) => r.text)
    .join(',');
}

/** metav1.FormatLabelSelector: like selectorString but "<none>" when empty and "<error>" when invalid. */
function formatLabelSelector(sel: unknown): string {
  const s = selectorString(sel);
  if (s === undefined) return '<error>';
  return s === '' ? '<none>' : s;
}

/** layoutContainerCells: container names and images, comma-separated. */
function containerCells(spec: any): [string, string] {
  const cs = arr(spec?.containers);
  return [cs.map((c) => str(c?.name)).join(','), cs.map((c) => str(c?.image)).join(',')];
}

/** A sorted set joined by commas, as sets.String.List() gives. */
function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort(byString);
}

function lbIngressAddresses(status: any): string {
  const out: string[] = [];
  for (const i of arr(status?.ingress)) {
    if (i?.ip) out.push(str(i.ip));
    else if (i?.hostname) out.push(str(i.hostname));
  }
  return sortedUnique(out).join(',');
}

/** net.JoinHostPort. */
function joinHostPort(host: string, port: unknown): string {
  return host.includes(':') ? `[${host}]:${str(port)}` : `${host}:${str(port)}`;
}

function listWithMore(list: string[], more: boolean, count: number, max: number): string {
  const ret = list.join(',');
  if (more) return `${ret} + ${count - max} more...`;
  return ret === '' ? '<unset>' : ret;
}

function conditionStatus(conditions: unknown, type: string): string | undefined {
  for (const c of arr(conditions)) if (c?.type === type) return str(c.status);
  return undefined;
}

function hasCondition(conditions: unknown, type: string): boolean {
  return conditionStatus(conditions, type) === 'True';
}

// ---------------------------------------------------------------------------------------------------------------
// Columns

function col(name: string, description: string, type = 'string', priority = 0, format = ''): Column {
  return { name, type, format, description, priority };
}
const wide = (name: string, description: string, type = 'string'): Column => col(name, description, type, 1);

const NAME = col('Name', 'Name must be unique within a namespace; it identifies the object.', 'string', 0, 'name');
const AGE = col('Age', 'CreationTimestamp: the server time when this object was created.');
const CONTAINERS = wide('Containers', 'Names of each container in the template.');
const IMAGES = wide('Images', 'Images referenced by each container in the template.');
const SELECTOR = wide('Selector', 'A label query over pods that should match the replica count.');

const name = (o: KObject): string => str(o.metadata?.name);
const age = (o: KObject, now: number): string => translateTimestampSince(o.metadata?.creationTimestamp, now);

// ---------------------------------------------------------------------------------------------------------------
// Pods

function podRow(pod: KObject, now: number): Cell[] {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = arr(spec.containers).length;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;

  const phase = str(status.phase);
  let reason = status.reason ? str(status.reason) : phase;
  for (const c of arr(status.conditions)) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  const initContainers = new Map<string, any>();
  for (const c of arr(spec.initContainers)) {
    initContainers.set(str(c?.name), c);
    if (c?.restartPolicy === 'Always') totalContainers++;
  }
  const isRestartable = (n: string): boolean => initContainers.get(n)?.restartPolicy === 'Always';
  const finishedAt = (cs: any): number => parseTime(cs?.lastState?.terminated?.finishedAt) ?? 0;

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    restarts += int(cs?.restartCount);
    if (cs?.lastState?.terminated) lastRestart = Math.max(lastRestart, finishedAt(cs));
    const restartable = isRestartable(str(cs?.name));
    if (restartable) {
      restartableInitRestarts += int(cs?.restartCount);
      if (cs?.lastState?.terminated) lastRestartableInitRestart = Math.max(lastRestartableInitRestart, finishedAt(cs));
    }
    const term = cs?.state?.terminated;
    const waiting = cs?.state?.waiting;
    if (term && int(term.exitCode) === 0) continue;
    if (restartable && cs?.started === true) {
      if (cs?.ready) readyContainers++;
      continue;
    }
    if (term) {
      if (!term.reason) reason = term.signal ? `Init:Signal:${int(term.signal)}` : `Init:ExitCode:${int(term.exitCode)}`;
      else reason = `Init:${str(term.reason)}`;
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${str(waiting.reason)}`;
    } else {
      reason = `Init:${i}/${arr(spec.initContainers).length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || hasCondition(status.conditions, 'Initialized')) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += int(cs?.restartCount);
      if (cs?.lastState?.terminated) lastRestart = Math.max(lastRestart, finishedAt(cs));
      const waiting = cs?.state?.waiting;
      const term = cs?.state?.terminated;
      if (waiting && waiting.reason) reason = str(waiting.reason);
      else if (term && term.reason) reason = str(term.reason);
      else if (term) reason = term.signal ? `Signal:${int(term.signal)}` : `ExitCode:${int(term.exitCode)}`;
      else if (cs?.ready && cs?.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // A pod whose last-listed container completed but another still runs is Running (or NotReady).
    if (reason === 'Completed' && hasRunning) reason = hasCondition(status.conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsCell = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsCell = `${restarts} (${humanDuration(now - lastRestart)} ago)`;

  let podIP = str(arr(status.podIPs)[0]?.ip);
  if (podIP === '' && arr(status.podIPs).length === 0) podIP = str(status.podIP); // a lab object without podIPs
  let readinessGates = '<none>';
  const gates = arr(spec.readinessGates);
  if (gates.length > 0) {
    let trueConditions = 0;
    for (const g of gates) if (conditionStatus(status.conditions, str(g?.conditionType)) === 'True') trueConditions++;
    readinessGates = `${trueConditions}/${gates.length}`;
  }
  return [
    name(pod),
    `${readyContainers}/${totalContainers}`,
    reason,
    restartsCell,
    age(pod, now),
    podIP || '<none>',
    str(spec.nodeName) || '<none>',
    str(status.nominatedNodeName) || '<none>',
    readinessGates,
  ];
}

const POD: Printer = {
  columns: [
    NAME,
    col('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    col('Status', 'The aggregate status of the containers in this pod.'),
    col('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE,
    wide('IP', 'IP address allocated to the pod.'),
    wide('Node', 'The node the pod is scheduled onto.'),
    wide('Nominated Node', 'The node the scheduler nominated for this pod after preemption.'),
    wide('Readiness Gates', 'Pod readiness gates that are true, of those specified.'),
  ],
  cells: podRow,
  conditions(pod) {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
    if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
    return undefined;
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Services and endpoints

function serviceExternalIP(svc: KObject): string {
  const spec = svc.spec ?? {};
  const externalIPs = arr(spec.externalIPs).map(str);
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = lbIngressAddresses(svc.status?.loadBalancer);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function servicePorts(ports: unknown): string {
  const pieces = arr(ports).map((p) => {
    const proto = str(p?.protocol) || 'TCP';
    return int(p?.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${proto}` : `${int(p?.port)}/${proto}`;
  });
  return pieces.length > 0 ? pieces.join(',') : '<none>';
}

const SERVICE: Printer = {
  columns: [
    NAME,
    col('Type', 'How the Service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    col('Cluster-IP', 'The IP address of the service, usually assigned randomly.'),
    col('External-IP', 'IP addresses for which nodes in the cluster also accept traffic for this service.'),
    col('Port(s)', 'The list of ports exposed by this service.'),
    AGE,
    wide('Selector', 'Route service traffic to pods with label keys and values matching this selector.'),
  ],
  cells(svc, now) {
    const spec = svc.spec ?? {};
    const clusterIPs = arr(spec.clusterIPs).map(str);
    const clusterIP = clusterIPs[0] || str(spec.clusterIP) || '<none>';
    return [name(svc), str(spec.type ?? 'ClusterIP'), clusterIP, serviceExternalIP(svc), servicePorts(spec.ports), age(svc, now), formatLabels(spec.selector)];
  },
};

function formatEndpoints(ep: KObject): string {
  const subsets = arr(ep.subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = arr(ss?.addresses);
    const ports = arr(ss?.ports);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a?.ip));
      }
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(str(a?.ip), int(p?.port)));
      }
    }
  }
  const ret = list.join(',');
  return more ? `${ret} + ${count - max} more...` : ret;
}

const ENDPOINTS: Printer = {
  columns: [NAME, col('Endpoints', 'The set of all endpoints is the union of all subsets.'), AGE],
  cells: (ep, now) => [name(ep), formatEndpoints(ep), age(ep, now)],
};

const ENDPOINT_SLICE: Printer = {
  columns: [
    NAME,
    col('AddressType', 'The type of address carried by this EndpointSlice: IPv4, IPv6 or FQDN.'),
    col('Ports', 'The network ports exposed by each endpoint in this slice.'),
    col('Endpoints', 'The unique endpoints in this slice.'),
    AGE,
  ],
  cells(slice, now) {
    const max = 3;
    const ports: string[] = [];
    let portCount = 0;
    let morePorts = false;
    for (const p of arr(slice.ports)) {
      if (ports.length < max) ports.push(typeof p?.port === 'number' ? String(int(p.port)) : typeof p?.name === 'string' ? p.name : '*');
      else morePorts = true;
      portCount++;
    }
    const addrs: string[] = [];
    let addrCount = 0;
    let moreAddrs = false;
    for (const e of arr(slice.endpoints)) {
      for (const a of arr(e?.addresses)) {
        if (addrs.length < max) addrs.push(str(a));
        else moreAddrs = true;
        addrCount++;
      }
    }
    return [name(slice), str(slice.addressType), listWithMore(ports, morePorts, portCount, max), listWithMore(addrs, moreAddrs, addrCount, max), age(slice, now)];
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Ingress

function formatHosts(rules: unknown): string {
  const rs = arr(rules);
  const list: string[] = [];
  const max = 3;
  let more = false;
  for (const r of rs) {
    if (list.length === max) more = true;
    if (!more && r?.host) list.push(str(r.host));
  }
  if (list.length === 0) return '*';
  const ret = list.join(',');
  return more ? `${ret} + ${rs.length - max} more...` : ret;
}

const INGRESS: Printer = {
  columns: [
    NAME,
    col('Class', 'The name of the IngressClass resource that should be used for additional configuration'),
    col('Hosts', 'Hosts that incoming requests are matched against before the ingress rule'),
    col('Address', 'Address is a list containing ingress points for the load-balancer'),
    col('Ports', 'Ports of TLS configurations that open'),
    AGE,
  ],
  cells(ing, now) {
    const spec = ing.spec ?? {};
    return [
      name(ing),
      spec.ingressClassName ? str(spec.ingressClassName) : '<none>',
      formatHosts(spec.rules),
      lbIngressAddresses(ing.status?.loadBalancer),
      arr(spec.tls).length > 0 ? '80, 443' : '80',
      age(ing, now),
    ];
  },
};

const INGRESS_CLASS: Printer = {
  columns: [
    NAME,
    col('Controller', 'Controller that is responsible for handling this class'),
    col('Parameters', 'A reference to a resource with additional parameters'),
    AGE,
  ],
  cells(ic, now) {
    const p = ic.spec?.parameters;
    let parameters = '<none>';
    if (p) parameters = `${str(p.kind)}${p.apiGroup ? `.${str(p.apiGroup)}` : ''}/${str(p.name)}`;
    return [name(ic), str(ic.spec?.controller), parameters, age(ic, now)];
  },
};

const NETWORK_POLICY: Printer = {
  columns: [NAME, col('Pod-Selector', 'Selects the pods to which this NetworkPolicy object applies.'), AGE],
  cells: (np, now) => [name(np), formatLabelSelector(np.spec?.podSelector ?? {}), age(np, now)],
};

// ---------------------------------------------------------------------------------------------------------------
// Workloads

const replicas = (spec: any): number => (typeof spec?.replicas === 'number' ? int(spec.replicas) : 1);

const DEPLOYMENT: Printer = {
  columns: [
    NAME,
    col('Ready', 'Number of the pod with ready state'),
    col('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
    col('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
    AGE,
    CONTAINERS,
    IMAGES,
    wide('Selector', 'Label selector for pods.'),
  ],
  cells(d, now) {
    const [names, images] = containerCells(d.spec?.template?.spec);
    const st = d.status ?? {};
    return [
      name(d),
      `${int(st.readyReplicas)}/${replicas(d.spec)}`,
      int(st.updatedReplicas),
      int(st.availableReplicas),
      age(d, now),
      names,
      images,
      selectorString(d.spec?.selector) ?? '<invalid>',
    ];
  },
};

const REPLICA_SET: Printer = {
  columns: [
    NAME,
    col('Desired', 'Replicas is the number of desired replicas.', 'integer'),
    col('Current', 'Replicas is the most recently observed number of replicas.', 'integer'),
    col('Ready', 'The number of ready replicas for this replica set.', 'integer'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells(rs, now) {
    const [names, images] = containerCells(rs.spec?.template?.spec);
    const st = rs.status ?? {};
    return [name(rs), replicas(rs.spec), int(st.replicas), int(st.readyReplicas), age(rs, now), names, images, formatLabelSelector(rs.spec?.selector)];
  },
};

const REPLICATION_CONTROLLER: Printer = {
  columns: REPLICA_SET.columns,
  cells(rc, now) {
    const [names, images] = containerCells(rc.spec?.template?.spec);
    const st = rc.status ?? {};
    return [name(rc), replicas(rc.spec), int(st.replicas), int(st.readyReplicas), age(rc, now), names, images, formatLabels(rc.spec?.selector)];
  },
};

const DAEMON_SET: Printer = {
  columns: [
    NAME,
    col('Desired', 'The total number of nodes that should be running the daemon pod.', 'integer'),
    col('Current', 'The number of nodes running at least one daemon pod and that are supposed to.', 'integer'),
    col('Ready', 'The number of nodes that should be running the daemon pod and have one or more of it running and ready.', 'integer'),
    col('Up-to-date', 'The total number of nodes that are running the updated daemon pod.', 'integer'),
    col('Available', 'The number of nodes that should be running the daemon pod and have one or more of it running and available.', 'integer'),
    col('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells(ds, now) {
    const [names, images] = containerCells(ds.spec?.template?.spec);
    const st = ds.status ?? {};
    return [
      name(ds),
      int(st.desiredNumberScheduled),
      int(st.currentNumberScheduled),
      int(st.numberReady),
      int(st.updatedNumberScheduled),
      int(st.numberAvailable),
      formatLabels(ds.spec?.template?.spec?.nodeSelector),
      age(ds, now),
      names,
      images,
      formatLabelSelector(ds.spec?.selector),
    ];
  },
};

const STATEFUL_SET: Printer = {
  columns: [NAME, col('Ready', 'Number of the pod with ready state'), AGE, CONTAINERS, IMAGES],
  cells(sts, now) {
    const [names, images] = containerCells(sts.spec?.template?.spec);
    return [name(sts), `${int(sts.status?.readyReplicas)}/${replicas(sts.spec)}`, age(sts, now), names, images];
  },
};

const JOB: Printer = {
  columns: [
    NAME,
    col('Status', 'Status of the job.'),
    col('Completions', 'The number of pods which reached phase Succeeded.'),
    col('Duration', 'Time required to complete the job.'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells(job, now) {
    const spec = job.spec ?? {};
    const st = job.status ?? {};
    let completions: string;
    if (typeof spec.completions === 'number') completions = `${int(st.succeeded)}/${int(spec.completions)}`;
    else if (int(spec.parallelism) > 1) completions = `${int(st.succeeded)}/1 of ${int(spec.parallelism)}`;
    else completions = `${int(st.succeeded)}/1`;
    const start = parseTime(st.startTime);
    const end = parseTime(st.completionTime);
    const duration = start === undefined ? '' : humanDuration((end ?? now) - start);
    let status: string;
    if (hasCondition(st.conditions, 'Complete')) status = 'Complete';
    else if (hasCondition(st.conditions, 'Failed')) status = 'Failed';
    else if (job.metadata?.deletionTimestamp) status = 'Terminating';
    else if (hasCondition(st.conditions, 'Suspended')) status = 'Suspended';
    else if (hasCondition(st.conditions, 'FailureTarget')) status = 'FailureTarget';
    else status = 'Running';
    const [names, images] = containerCells(spec.template?.spec);
    return [name(job), status, completions, duration, age(job, now), names, images, formatLabelSelector(spec.selector)];
  },
};

const CRON_JOB: Printer = {
  columns: [
    NAME,
    col('Schedule', 'The schedule in Cron format.'),
    col('Timezone', 'The time zone name for the given schedule.'),
    col('Suspend', 'Whether subsequent executions are suspended.', 'boolean'),
    col('Active', 'Pointers to currently running jobs.', 'integer'),
    col('Last Schedule', 'The last time the job was successfully scheduled.'),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
  ],
  cells(cj, now) {
    const spec = cj.spec ?? {};
    const last = cj.status?.lastScheduleTime;
    const [names, images] = containerCells(spec.jobTemplate?.spec?.template?.spec);
    return [
      name(cj),
      str(spec.schedule),
      spec.timeZone ? str(spec.timeZone) : '<none>',
      spec.suspend === true ? 'True' : 'False',
      arr(cj.status?.active).length,
      last ? translateTimestampSince(last, now) : '<none>',
      age(cj, now),
      names,
      images,
      formatLabelSelector(spec.jobTemplate?.spec?.selector),
    ];
  },
};

const POD_DISRUPTION_BUDGET: Printer = {
  columns: [
    NAME,
    col('Min Available', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', 'integer'),
    AGE,
  ],
  cells(pdb, now) {
    const intOrString = (v: unknown): string => (v === undefined || v === null ? 'N/A' : str(v));
    return [name(pdb), intOrString(pdb.spec?.minAvailable), intOrString(pdb.spec?.maxUnavailable), int(pdb.status?.disruptionsAllowed), age(pdb, now)];
  },
};

function formatHPAMetrics(specs: unknown, statuses: unknown): string {
  const ms = arr(specs);
  const ss = arr(statuses);
  if (ms.length === 0) return '<none>';
  const list: string[] = [];
  const max = 2;
  for (let i = 0; i < ms.length; i++) {
    const m = ms[i];
    const s = ss[i];
    const source = (t: string): string => t.charAt(0).toLowerCase() + t.slice(1);
    switch (m?.type) {
      case 'Resource':
      case 'ContainerResource': {
        const key = source(m.type);
        const target = m[key]?.target ?? {};
        const cur = s?.[key]?.current;
        if (target.averageValue !== undefined) {
          list.push(`${str(m[key]?.name)}: ${cur?.averageValue !== undefined ? str(cur.averageValue) : '<unknown>'}/${str(target.averageValue)}`);
        } else {
          const current = cur?.averageUtilization !== undefined ? `${int(cur.averageUtilization)}%` : '<unknown>';
          const want = target.averageUtilization !== undefined ? `${int(target.averageUtilization)}%` : '<auto>';
          list.push(`${str(m[key]?.name)}: ${current}/${want}`);
        }
        break;
      }
      case 'Pods': {
        const cur = s?.pods?.current?.averageValue;
        list.push(`${cur !== undefined ? str(cur) : '<unknown>'}/${str(m.pods?.target?.averageValue)}`);
        break;
      }
      case 'Object':
      case 'External': {
        const key = source(m.type);
        const target = m[key]?.target ?? {};
        const cur = s?.[key]?.current;
        if (target.averageValue !== undefined) {
          list.push(`${cur?.averageValue !== undefined ? str(cur.averageValue) : '<unknown>'}/${str(target.averageValue)} (avg)`);
        } else {
          list.push(`${cur?.value !== undefined ? str(cur.value) : '<unknown>'}/${str(target.value)}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  }
  if (list.length > max) return `${list.slice(0, max).join(', ')} + ${list.length - max} more...`;
  return list.join(', ');
}

const HPA: Printer = {
  columns: [
    NAME,
    col('Reference', 'The target resource to scale.'),
    col('Targets', 'The metrics used to calculate the desired replica count.'),
    col('MinPods', 'The lower limit for the number of replicas.'),
    col('MaxPods', 'The upper limit for the number of replicas.'),
    col('Replicas', 'The current number of replicas of pods managed by this autoscaler.'),
    AGE,
  ],
  cells(hpa, now) {
    const spec = hpa.spec ?? {};
    const ref = spec.scaleTargetRef ?? {};
    return [
      name(hpa),
      `${str(ref.kind)}/${str(ref.name)}`,
      formatHPAMetrics(spec.metrics, hpa.status?.currentMetrics),
      typeof spec.minReplicas === 'number' ? String(int(spec.minReplicas)) : '<unset>',
      int(spec.maxReplicas),
      int(hpa.status?.currentReplicas),
      age(hpa, now),
    ];
  },
};

const CONTROLLER_REVISION: Printer = {
  columns: [NAME, col('Controller', 'Controller of the object'), col('Revision', 'The revision this object represents.'), AGE],
  cells(cr, now) {
    const owner = arr(cr.metadata?.ownerReferences).find((r) => r?.controller === true);
    let controller = '<none>';
    if (owner) {
      const apiVersion = str(owner.apiVersion);
      const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
      const gk = group ? `${str(owner.kind)}.${group}` : str(owner.kind);
      controller = gk ? `${gk.toLowerCase()}/${str(owner.name)}` : str(owner.name);
    }
    return [name(cr), controller, int(cr.revision), age(cr, now)];
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Cluster and configuration

const NODE: Printer = {
  columns: [
    NAME,
    col('Status', 'The status of the node'),
    col('Roles', 'The roles of the node'),
    AGE,
    col('Version', 'Kubelet Version reported by the node.'),
    wide('Internal-IP', 'List of addresses reachable to the node.'),
    wide('External-IP', 'List of addresses reachable to the node.'),
    wide('OS-Image', 'OS Image reported by the node from /etc/os-release.'),
    wide('Kernel-Version', "Kernel Version reported by the node from 'uname -r'."),
    wide('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API.'),
  ],
  cells(node, now) {
    const st = node.status ?? {};
    const status: string[] = [];
    const ready = conditionStatus(st.conditions, 'Ready');
    if (ready !== undefined) status.push(ready === 'True' ? 'Ready' : 'NotReady');
    if (status.length === 0) status.push('Unknown');
    if (node.spec?.unschedulable) status.push('SchedulingDisabled');
    const roles: string[] = [];
    for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
      if (k.startsWith('node-role.kubernetes.io/')) {
        const role = k.slice('node-role.kubernetes.io/'.length);
        if (role) roles.push(role);
      } else if (k === 'kubernetes.io/role' && v) roles.push(v);
    }
    const address = (type: string): string => str(arr(st.addresses).find((a) => a?.type === type)?.address) || '<none>';
    const info = st.nodeInfo ?? {};
    return [
      name(node),
      status.join(','),
      sortedUnique(roles).join(',') || '<none>',
      age(node, now),
      str(info.kubeletVersion),
      address('InternalIP'),
      address('ExternalIP'),
      str(info.osImage) || '<unknown>',
      str(info.kernelVersion) || '<unknown>',
      str(info.containerRuntimeVersion) || '<unknown>',
    ];
  },
};

const NAMESPACE: Printer = {
  columns: [NAME, col('Status', 'The status of the namespace'), AGE],
  // The apiserver sets status.phase on create; a lab object without one is Active unless being deleted.
  cells: (ns, now) => [name(ns), str(ns.status?.phase) || (ns.metadata?.deletionTimestamp ? 'Terminating' : 'Active'), age(ns, now)],
};

function eventSource(ev: KObject): string {
  const component = str(ev.source?.component) || str(ev.reportingComponent);
  const instance = str(ev.source?.host) || str(ev.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

const EVENT: Printer = {
  columns: [
    col('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
    col('Type', 'Type of this event (Normal, Warning).'),
    col('Reason', 'A short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
    col('Object', 'The object that this event is about.'),
    wide('Subobject', 'The field of the involved object the event is about, such as a container.'),
    wide('Source', 'The component reporting this event.'),
    col('Message', 'A human-readable description of the status of this operation.'),
    wide('First Seen', 'The time at which the event was first recorded.'),
    wide('Count', 'The number of times this event has occurred.'),
    col('Name', 'Name must be unique within a namespace; it identifies the object.', 'string', 1, 'name'),
  ],
  cells(ev, now) {
    const first = parseTime(ev.firstTimestamp) !== undefined ? translateTimestampSince(ev.firstTimestamp, now) : translateTimestampSince(ev.eventTime, now);
    let last = parseTime(ev.lastTimestamp) !== undefined ? translateTimestampSince(ev.lastTimestamp, now) : first;
    let count = int(ev.count);
    if (ev.series) {
      last = translateTimestampSince(ev.series.lastObservedTime, now);
      count = int(ev.series.count);
    } else if (count === 0) {
      count = 1;
    }
    const kind = str(ev.involvedObject?.kind).toLowerCase();
    const target = ev.involvedObject?.name ? `${kind}/${str(ev.involvedObject.name)}` : kind;
    return [last, str(ev.type), str(ev.reason), target, str(ev.involvedObject?.fieldPath), eventSource(ev), str(ev.message).trim(), first, count, name(ev)];
  },
};

const CONFIG_MAP: Printer = {
  columns: [NAME, col('Data', 'The number of keys in data and binaryData.'), AGE],
  cells: (cm, now) => [name(cm), Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm, now)],
};

const SECRET: Printer = {
  columns: [NAME, col('Type', 'Used to facilitate programmatic handling of secret data.'), col('Data', 'The number of keys in data.'), AGE],
  // stringData is merged into data by the apiserver; count the union in case the store kept it apart.
  cells: (s, now) => [name(s), str(s.type) || 'Opaque', new Set([...Object.keys(s.data ?? {}), ...Object.keys(s.stringData ?? {})]).size, age(s, now)],
};

const SERVICE_ACCOUNT: Printer = {
  columns: [NAME, col('Secrets', 'The number of secrets listed for use by pods running as this service account.'), AGE],
  cells: (sa, now) => [name(sa), arr(sa.secrets).length, age(sa, now)],
};

function accessModes(modes: unknown): string {
  const m = new Set(arr(modes).map(str));
  const out: string[] = [];
  if (m.has('ReadWriteOnce')) out.push('RWO');
  if (m.has('ReadOnlyMany')) out.push('ROX');
  if (m.has('ReadWriteMany')) out.push('RWX');
  if (m.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

function storageClassOf(o: KObject): string {
  return str(o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class']) || str(o.spec?.storageClassName);
}

const PVC: Printer = {
  columns: [
    NAME,
    col('Status', 'The current phase of the claim.'),
    col('Volume', 'The binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'The actual resources of the underlying volume.'),
    col('Access Modes', 'The actual access modes the volume backing the PVC has.'),
    col('StorageClass', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pvc'),
    AGE,
    wide('VolumeMode', 'What type of volume is required by the claim.'),
  ],
  cells(pvc, now) {
    const spec = pvc.spec ?? {};
    const bound = !!spec.volumeName;
    return [
      name(pvc),
      pvc.metadata?.deletionTimestamp ? 'Terminating' : str(pvc.status?.phase),
      str(spec.volumeName),
      bound ? str(pvc.status?.capacity?.storage) || '0' : '',
      bound ? accessModes(pvc.status?.accessModes) : '',
      storageClassOf(pvc),
      spec.volumeAttributesClassName ? str(spec.volumeAttributesClassName) : '<unset>',
      age(pvc, now),
      spec.volumeMode ? str(spec.volumeMode) : '<unset>',
    ];
  },
};

const PV: Printer = {
  columns: [
    NAME,
    col('Capacity', 'The capacity of the persistent volume.'),
    col('Access Modes', 'All ways the volume can be mounted.'),
    col('Reclaim Policy', 'What happens to the volume when released from its claim.'),
    col('Status', 'The current phase of the volume.'),
    col('Claim', 'Part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.'),
    col('StorageClass', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'VolumeAttributesClass of the pv'),
    col('Reason', 'A brief CamelCase string that describes any failure.'),
    AGE,
    wide('VolumeMode', 'Whether the volume is a formatted filesystem or a raw block device.'),
  ],
  cells(pv, now) {
    const spec = pv.spec ?? {};
    const claim = spec.claimRef ? `${str(spec.claimRef.namespace)}/${str(spec.claimRef.name)}` : '';
    return [
      name(pv),
      str(spec.capacity?.storage) || '0',
      accessModes(spec.accessModes),
      str(spec.persistentVolumeReclaimPolicy),
      pv.metadata?.deletionTimestamp ? 'Terminating' : str(pv.status?.phase),
      claim,
      storageClassOf(pv),
      spec.volumeAttributesClassName ? str(spec.volumeAttributesClassName) : '<unset>',
      str(pv.status?.reason),
      age(pv, now),
      spec.volumeMode ? str(spec.volumeMode) : '<unset>',
    ];
  },
};

const RESOURCE_QUOTA: Printer = {
  columns: [
    NAME,
    col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    AGE,
  ],
  cells(rq, now) {
    const hard = (rq.status?.hard ?? {}) as Record<string, unknown>;
    const used = (rq.status?.used ?? {}) as Record<string, unknown>;
    const request: string[] = [];
    const limit: string[] = [];
    for (const r of Object.keys(hard).sort(byString)) {
      const pieces = r.split('.');
      (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(`${r}: ${str(used[r]) || '0'}/${str(hard[r])}`);
    }
    return [name(rq), request.join(', '), limit.join(', '), age(rq, now)];
  },
};

function subjects(list: unknown): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of arr(list)) {
    if (s?.kind === 'User') users.push(str(s.name));
    else if (s?.kind === 'Group') groups.push(str(s.name));
    else if (s?.kind === 'ServiceAccount') sas.push(`${str(s.namespace)}/${str(s.name)}`);
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

const ROLE_BINDING: Printer = {
  columns: [
    NAME,
    col('Role', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.'),
    AGE,
    wide('Users', 'Users in the roleBinding'),
    wide('Groups', 'Groups in the roleBinding'),
    wide('ServiceAccounts', 'ServiceAccounts in the roleBinding'),
  ],
  cells: (rb, now) => [name(rb), `${str(rb.roleRef?.kind)}/${str(rb.roleRef?.name)}`, age(rb, now), ...subjects(rb.subjects)],
};

const CLUSTER_ROLE_BINDING: Printer = {
  columns: [
    NAME,
    col('Role', 'RoleRef can only reference a ClusterRole in the global namespace.'),
    AGE,
    wide('Users', 'Users in the clusterRoleBinding'),
    wide('Groups', 'Groups in the clusterRoleBinding'),
    wide('ServiceAccounts', 'ServiceAccounts in the clusterRoleBinding'),
  ],
  cells: ROLE_BINDING.cells,
};

const WEBHOOKS: Printer = {
  columns: [NAME, col('Webhooks', 'Webhooks indicates the number of webhooks registered in this configuration', 'integer'), AGE],
  cells: (w, now) => [name(w), arr(w.webhooks).length, age(w, now)],
};

const LEASE: Printer = {
  columns: [NAME, col('Holder', 'The identity of the holder of a current lease.'), AGE],
  cells: (l, now) => [name(l), str(l.spec?.holderIdentity), age(l, now)],
};

const PRIORITY_CLASS: Printer = {
  columns: [
    NAME,
    col('Value', 'The integer value of this priority class.', 'integer'),
    col('Global-Default', 'Whether this priority class is the default for pods without a priority class.', 'boolean'),
    AGE,
    col('PreemptionPolicy', 'The policy for preempting pods with lower priority.'),
  ],
  cells: (pc, now) => [name(pc), int(pc.value), pc.globalDefault === true, age(pc, now), str(pc.preemptionPolicy) || 'PreemptLowerPriority'],
};

const STORAGE_CLASS: Printer = {
  columns: [
    NAME,
    col('Provisioner', 'The type of the provisioner.'),
    col('ReclaimPolicy', 'The reclaim policy for dynamically provisioned PersistentVolumes.'),
    col('VolumeBindingMode', 'How PersistentVolumeClaims should be provisioned and bound.'),
    col('AllowVolumeExpansion', 'Whether the storage class allows volume expand.'),
    AGE,
  ],
  cells(sc, now) {
    const ann = sc.metadata?.annotations ?? {};
    const isDefault = ann['storageclass.kubernetes.io/is-default-class'] === 'true' || ann['storageclass.beta.kubernetes.io/is-default-class'] === 'true';
    return [
      isDefault ? `${name(sc)} (default)` : name(sc),
      str(sc.provisioner),
      str(sc.reclaimPolicy) || 'Delete',
      str(sc.volumeBindingMode) || 'Immediate',
      sc.allowVolumeExpansion === true,
      age(sc, now),
    ];
  },
};

// ---------------------------------------------------------------------------------------------------------------
// Custom resources (Gateway API CRDs' additionalPrinterColumns) and the defaults

const CRD_NAME = col('Name', 'Name must be unique within a namespace; it identifies the object.', 'string', 0, 'name');
const crdAge = col('Age', 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp', 'date');
const crdCol = (n: string, jsonPath: string, priority = 0): Column => col(n, `Custom resource definition column (in JSONPath format): ${jsonPath}`, 'string', priority);

/** A CRD `date` column: the HumanDuration since the timestamp; "<invalid>" if unparsable, null if absent. */
function crdDate(ts: unknown, now: number): Cell {
  if (typeof ts !== 'string') return null;
  if (ts === '') return '<unknown>';
  const t = parseTime(ts);
  if (t === undefined) return Number.isNaN(Date.parse(ts)) ? '<invalid>' : '<unknown>';
  return humanDuration(now - t);
}

/** A CRD `string` column whose JSONPath ends in a scalar: the first match, null when none. */
const scalar = (v: unknown): Cell => (v === undefined || v === null ? null : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));

const GATEWAY_CLASS: Printer = {
  columns: [
    CRD_NAME,
    crdCol('Controller', '.spec.controllerName'),
    crdCol('Accepted', '.status.conditions[?(@.type=="Accepted")].status'),
    crdAge,
    crdCol('Description', '.spec.description', 1),
  ],
  cells: (gc, now) => [
    name(gc),
    scalar(gc.spec?.controllerName),
    scalar(conditionStatus(gc.status?.conditions, 'Accepted')),
    crdDate(gc.metadata?.creationTimestamp, now),
    scalar(gc.spec?.description),
  ],
};

const GATEWAY: Printer = {
  columns: [
    CRD_NAME,
    crdCol('Class', '.spec.gatewayClassName'),
    crdCol('Address', '.status.addresses[*].value'),
    crdCol('Programmed', '.status.conditions[?(@.type=="Programmed")].status'),
    crdAge,
  ],
  cells: (gw, now) => [
    name(gw),
    scalar(gw.spec?.gatewayClassName),
    // The CRD table convertor prints only the first result of a [*] path.
    scalar(arr(gw.status?.addresses).find((a) => a?.value !== undefined)?.value),
    scalar(conditionStatus(gw.status?.conditions, 'Programmed')),
    crdDate(gw.metadata?.creationTimestamp, now),
  ],
};

/** HTTPRoute, GRPCRoute: the hostnames list printed as JSON, as jsonpath prints a list. */
const ROUTE: Printer = {
  columns: [CRD_NAME, crdCol('Hostnames', '.spec.hostnames'), crdAge],
  cells: (r, now) => [name(r), scalar(r.spec?.hostnames), crdDate(r.metadata?.creationTimestamp, now)],
};

/** A custom resource without additionalPrinterColumns: the CRD default Age column. */
const CRD_DEFAULT: Printer = {
  columns: [CRD_NAME, crdAge],
  cells: (o, now) => [name(o), crdDate(o.metadata?.creationTimestamp, now)],
};

/** The apiserver's default table for built-in kinds without a printer (Role, ClusterRole, LimitRange, CRDs). */
const BUILTIN_DEFAULT: Printer = {
  columns: [NAME, col('Created At', 'CreationTimestamp: the server time when this object was created.', 'date')],
  cells(o) {
    const t = parseTime(o.metadata?.creationTimestamp);
    return [name(o), t === undefined ? '0001-01-01T00:00:00Z' : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z')];
  },
};

const PRINTERS: Record<string, Printer> = {
  '/pods': POD,
  '/services': SERVICE,
  '/endpoints': ENDPOINTS,
  '/nodes': NODE,
  '/namespaces': NAMESPACE,
  '/events': EVENT,
  '/configmaps': CONFIG_MAP,
  '/secrets': SECRET,
  '/serviceaccounts': SERVICE_ACCOUNT,
  '/persistentvolumeclaims': PVC,
  '/persistentvolumes': PV,
  '/resourcequotas': RESOURCE_QUOTA,
  '/replicationcontrollers': REPLICATION_CONTROLLER,
  'apps/deployments': DEPLOYMENT,
  'apps/replicasets': REPLICA_SET,
  'apps/daemonsets': DAEMON_SET,
  'apps/statefulsets': STATEFUL_SET,
  'apps/controllerrevisions': CONTROLLER_REVISION,
  'batch/jobs': JOB,
  'batch/cronjobs': CRON_JOB,
  'discovery.k8s.io/endpointslices': ENDPOINT_SLICE,
  'networking.k8s.io/ingresses': INGRESS,
  'networking.k8s.io/ingressclasses': INGRESS_CLASS,
  'networking.k8s.io/networkpolicies': NETWORK_POLICY,
  'policy/poddisruptionbudgets': POD_DISRUPTION_BUDGET,
  'rbac.authorization.k8s.io/rolebindings': ROLE_BINDING,
  'rbac.authorization.k8s.io/clusterrolebindings': CLUSTER_ROLE_BINDING,
  'admissionregistration.k8s.io/validatingwebhookconfigurations': WEBHOOKS,
  'admissionregistration.k8s.io/mutatingwebhookconfigurations': WEBHOOKS,
  'coordination.k8s.io/leases': LEASE,
  'autoscaling/horizontalpodautoscalers': HPA,
  'scheduling.k8s.io/priorityclasses': PRIORITY_CLASS,
  'storage.k8s.io/storageclasses': STORAGE_CLASS,
  'gateway.networking.k8s.io/gatewayclasses': GATEWAY_CLASS,
  'gateway.networking.k8s.io/gateways': GATEWAY,
  'gateway.networking.k8s.io/httproutes': ROUTE,
  'gateway.networking.k8s.io/grpcroutes': ROUTE,
};

/** Groups compiled into the apiserver; any other group is served from a CRD in a real cluster. */
const BUILTIN_GROUPS = new Set([
  '',
  'apps',
  'batch',
  'policy',
  'autoscaling',
  'discovery.k8s.io',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'admissionregistration.k8s.io',
  'coordination.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'certificates.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'internal.apiserver.k8s.io',
  'node.k8s.io',
  'resource.k8s.io',
  'storagemigration.k8s.io',
]);

function printerFor(def: ResourceDef): Printer {
  return PRINTERS[typeKey(def)] ?? (BUILTIN_GROUPS.has(def.group) ? BUILTIN_DEFAULT : CRD_DEFAULT);
}

/** The column definitions of a resource type's table (all of them, priority-1 included). */
export function tableColumns(def: ResourceDef): object[] {
  return printerFor(def).columns.map((c) => ({ ...c }));
}

/** A metav1.Table of the objects, as the apiserver returns it for `as=Table` (list, get and watch events). */
export function toTable(def: ResourceDef, objects: KObject[], opts: TableOptions): object {
  const printer = printerFor(def);
  const now = opts.now ?? Date.now();
  const include = opts.includeObject ?? 'Metadata';
  const rows = objects.map((obj) => {
    const row: Record<string, unknown> = { cells: printer.cells(obj, now) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    if (include === 'Object') row.object = obj;
    else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
    return row;
  });
  const metadata: Record<string, unknown> = { resourceVersion: opts.resourceVersion };
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined && opts.remainingItemCount !== null) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: printer.columns.map((c) => ({ ...c })),
    rows,
  };
}

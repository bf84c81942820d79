// kubeconfig loading with kubectl's rules: --kubeconfig, else KUBECONFIG (several files merged, the first
// definition of every cluster/user/context and the first current-context winning, missing files skipped), else
// ~/.kube/config, else in-cluster; then --context/--cluster/--user select, and the connection flags override.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
// Only the KubeConfig module, not the package index: the index also evaluates the generated API (models, typed
// clients), ~100 ms at every start for code netpath never calls (the bundle drops it: scripts/build.mjs).
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { Cluster, Context, User } from '@kubernetes/client-node/dist/config_types.js';
import { ConfigError } from './errors.ts';

/** kubectl's global flags that decide where and as whom to connect (cli-runtime ConfigFlags). */
export interface KubeOptions {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  namespace?: string;
  server?: string;
  token?: string;
  as?: string;
  asGroups?: string[];
  asUid?: string;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  /** Per-request timeout in ms; 0 = none. */
  requestTimeoutMs?: number;
}

export interface LoadedConfig {
  kc: KubeConfig;
  contextName?: string;
  clusterName: string;
  userName: string;
  cluster: Cluster;
  user: User;
  namespace: string;
  /** Where the configuration came from, for messages. */
  source: string;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split('\n')[0]!.trim();
}

function loadFile(path: string): KubeConfig {
  const kc = new KubeConfig();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(code === 'ENOENT' ? `kubeconfig "${path}" does not exist` : `cannot read kubeconfig "${path}": ${firstLine(e)}`);
  }
  try {
    kc.loadFromFile(path);
  } catch (e) {
    throw new ConfigError(`invalid kubeconfig "${path}": ${firstLine(e)}`);
  }
  if (text.trim() && !kc.clusters.length && !kc.contexts.length && !kc.users.length && !kc.currentContext) {
    throw new ConfigError(`invalid kubeconfig "${path}": no clusters, users or contexts`);
  }
  return kc;
}

/** kubectl's merge: the first file to define a name wins, and the first current-context wins. */
export function mergeFirstWins(configs: KubeConfig[]): KubeConfig {
  const clusters = new Map<string, Cluster>();
  const users = new Map<string, User>();
  const contexts = new Map<string, Context>();
  let current = '';
  for (const c of configs) {
    for (const x of c.clusters) if (!clusters.has(x.name)) clusters.set(x.name, x);
    for (const x of c.users) if (!users.has(x.name)) users.set(x.name, x);
    for (const x of c.contexts) if (!contexts.has(x.name)) contexts.set(x.name, x);
    if (!current && c.currentContext) current = c.currentContext;
  }
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext: current });
  return kc;
}

function loadBase(o: KubeOptions, env: NodeJS.ProcessEnv): { kc: KubeConfig; source: string } | undefined {
  if (o.kubeconfig) return { kc: loadFile(o.kubeconfig), source: o.kubeconfig };
  const list = (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean);
  if (list.length) {
    const present = list.filter((f) => existsSync(f));
    if (!present.length) throw new ConfigError(`none of the KUBECONFIG files exist: ${list.join(delimiter)}`);
    return { kc: mergeFirstWins(present.map(loadFile)), source: present.join(delimiter) };
  }
  const home = env.HOME || homedir();
  const def = home ? join(home, '.kube', 'config') : '';
  if (def && existsSync(def)) return { kc: loadFile(def), source: def };
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(SA_DIR, 'token'))) {
    const kc = new KubeConfig();
    kc.loadFromCluster();
    return { kc, source: 'in-cluster service account' };
  }
  return undefined;
}

/** Loads and selects the configuration the flags describe. Throws ConfigError with one clear line. */
export function loadConfig(o: KubeOptions, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const base = loadBase(o, env);
  if (!base && !o.server)
    throw new ConfigError('no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config');
  const kc = base?.kc ?? new KubeConfig();
  const contextName = o.context || kc.currentContext || undefined;
  let ctx: Context | undefined;
  if (contextName) {
    ctx = kc.getContextObject(contextName) ?? undefined;
    if (!ctx && (o.context || !(o.server || o.cluster))) throw new ConfigError(`context "${contextName}" does not exist in ${base?.source ?? 'the kubeconfig'}`);
  } else if (!o.server && !o.cluster) {
    throw new ConfigError(`no current context in ${base?.source ?? 'the kubeconfig'}: pass --context`);
  }
  const clusterName = o.cluster || ctx?.cluster || '';
  const userName = o.user || ctx?.user || '';
  let cluster: Cluster | undefined = clusterName ? (kc.getCluster(clusterName) ?? undefined) : undefined;
  if (clusterName && !cluster && !o.server) throw new ConfigError(`cluster "${clusterName}" does not exist in ${base?.source ?? 'the kubeconfig'}`);
  let user: User | undefined = userName ? (kc.getUser(userName) ?? undefined) : undefined;
  if (o.user && !user) throw new ConfigError(`user "${o.user}" does not exist in ${base?.source ?? 'the kubeconfig'}`);

  // Connection overrides, as clientcmd applies them.
  const c: Record<string, unknown> = { ...(cluster ?? { name: clusterName || 'cluster', skipTLSVerify: false }) };
  if (o.server) c.server = o.server;
  if (!c.server) throw new ConfigError(`cluster "${clusterName}" has no server address`);
  if (o.certificateAuthority) {
    c.caFile = o.certificateAuthority;
    delete c.caData;
  }
  if (o.insecureSkipTlsVerify) {
    c.skipTLSVerify = true;
    // An insecure override without a CA flag clears the configured CA, as kubectl does.
    if (!o.certificateAuthority) {
      delete c.caFile;
      delete c.caData;
    }
  }
  if (o.tlsServerName) c.tlsServerName = o.tlsServerName;
  cluster = c as unknown as Cluster;

  const u: Record<string, unknown> = { ...(user ?? { name: userName || 'user' }) };
  if (o.token) {
    u.token = o.token;
    delete u.exec;
    delete u.authProvider;
    delete u.username;
    delete u.password;
  }
  if (o.clientCertificate) {
    u.certFile = o.clientCertificate;
    delete u.certData;
  }
  if (o.clientKey) {
    u.keyFile = o.clientKey;
    delete u.keyData;
  }
  if (o.as) u.impersonateUser = o.as;
  user = u as unknown as User;

  for (const f of [cluster.caFile, user.certFile, user.keyFile]) {
    if (f && !existsSync(f)) throw new ConfigError(`file "${f}" named by the kubeconfig or flags does not exist`);
  }
  if (/^http:/.test(cluster.server) && !cluster.skipTLSVerify) {
    // client-node refuses plain HTTP unless TLS verification is off; kubectl allows it. Allow it too.
    cluster = { ...cluster, skipTLSVerify: true };
  }

  const final = new KubeConfig();
  final.loadFromOptions({
    clusters: [cluster],
    users: [user],
    contexts: [{ name: contextName || 'netpath', cluster: cluster.name, user: user.name, namespace: o.namespace || ctx?.namespace }],
    currentContext: contextName || 'netpath',
  });
  let namespace = o.namespace || ctx?.namespace || '';
  if (!namespace && base?.source === 'in-cluster service account') {
    try {
      namespace = readFileSync(join(SA_DIR, 'namespace'), 'utf8').trim();
    } catch {
      /* default below */
    }
  }
  return {
    kc: final,
    contextName,
    clusterName: cluster.name,
    userName: user.name,
    cluster,
    user,
    namespace: namespace || 'default',
    source: base?.source ?? 'flags',
  };
}

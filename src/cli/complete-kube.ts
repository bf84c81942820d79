// The cluster side of shell completion: object names through src/kube/ with the user's kubeconfig and flags, under
// a short deadline (a TAB must not hang), and the kubeconfig's context names. Errors propagate; complete.ts turns
// them into "no candidates".
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { KubeClient } from '../kube/client.ts';
import { R } from '../kube/resources.ts';
import type { Lister } from './complete.ts';
import { parseDiagnoseArgs } from './flags.ts';

/** Per-request deadline for completion lookups unless --request-timeout says otherwise. */
export const COMPLETION_TIMEOUT_MS = 3_000;

const TYPES = { services: R.services, ingresses: R.ingresses, httproutes: R.httproutes, gateways: R.gateways, namespaces: R.namespaces } as const;

export const clusterLister: Lister = async (resource, namespace, flagArgs) => {
  const args = parseDiagnoseArgs(flagArgs);
  const client = KubeClient.create({ requestTimeoutMs: COMPLETION_TIMEOUT_MS, ...args.kube });
  const objs = await client.list(TYPES[resource], resource === 'namespaces' ? {} : { namespace: namespace ?? client.namespace });
  return objs.map((o) => o.metadata.name);
};

/** Context names of every kubeconfig file in play (--kubeconfig, else each KUBECONFIG file, else ~/.kube/config). */
export function loadContexts(flagArgs: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  let files: string[];
  try {
    const { kube } = parseDiagnoseArgs(flagArgs.filter((a) => !a.startsWith('--context=')));
    files = kube.kubeconfig
      ? [kube.kubeconfig]
      : (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean).length
        ? (env.KUBECONFIG ?? '').split(delimiter).filter(Boolean)
        : [join(env.HOME || homedir(), '.kube', 'config')];
  } catch {
    return [];
  }
  const names = new Set<string>();
  for (const f of files) {
    if (!existsSync(f)) continue;
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(f);
      for (const c of kc.getContexts()) names.add(c.name);
    } catch {
      // an unreadable file contributes nothing
    }
  }
  return [...names];
}

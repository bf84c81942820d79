// The CLI's way to open the cluster: the kubeconfig the kubectl flags describe, or one line and exit 3.
import { KubeClient } from '../kube/client.ts';
import type { KubeOptions } from '../kube/config.ts';
import { KubeError } from '../kube/errors.ts';
import { CliError, EXIT } from './exit.ts';

/** KubeClient.create with a missing, malformed or unusable kubeconfig turned into a CliError (exit 3). */
export function openClient(kube: KubeOptions, env: NodeJS.ProcessEnv): KubeClient {
  try {
    return KubeClient.create(kube, env);
  } catch (e) {
    if (e instanceof KubeError) throw new CliError(e.message, EXIT.CLUSTER);
    throw e;
  }
}

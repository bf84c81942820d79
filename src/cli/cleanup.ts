// `kubectl netpath cleanup [-A] [-n NS]`: deletes every helper pod this tool left (label
// app.kubernetes.io/managed-by=kubectl-netpath), running or finished, in the namespace or in all namespaces.
import { KubeError } from '../kube/errors.ts';
import { sweepOrphans } from '../probes/incluster/cleanup.ts';
import { sanitize } from '../text/sanitize.ts';
import { openClient } from './client.ts';
import { CliError, EXIT } from './exit.ts';
import { parseDiagnoseArgs } from './flags.ts';

export const CLEANUP_USAGE = `Usage: kubectl netpath cleanup [-A] [-n NAMESPACE] [kubectl flags]

Deletes every helper pod kubectl-netpath left behind (label app.kubernetes.io/managed-by=kubectl-netpath),
running or finished: in the current namespace, or in every namespace with -A.
Ephemeral containers added with --from-pod cannot be removed (Kubernetes does not allow it); they end with their
command and disappear when their pod is replaced.`;

export async function runCleanup(argv: string[], io: { stdout: NodeJS.WritableStream; env: NodeJS.ProcessEnv } = { stdout: process.stdout, env: process.env }): Promise<number> {
  const args = parseDiagnoseArgs(argv);
  if (args.help) {
    io.stdout.write(CLEANUP_USAGE + '\n');
    return EXIT.OK;
  }
  if (args.target) throw new CliError(`cleanup takes no target (got "${args.target}"): kubectl netpath cleanup [-A] [-n NAMESPACE]`);
  const client = openClient(args.kube, io.env);
  try {
    const r = await sweepOrphans(client, { namespace: client.namespace, allNamespaces: args.allNamespaces, all: true, signal: AbortSignal.timeout(60_000) });
    for (const d of r.deleted) io.stdout.write(`pod/${sanitize(d.split('/')[1])} -n ${sanitize(d.split('/')[0])} deleted\n`);
    if (r.note) io.stdout.write(`note: ${sanitize(r.note)}\n`);
    io.stdout.write(r.deleted.length ? `${r.deleted.length} helper pod${r.deleted.length === 1 ? '' : 's'} deleted\n` : `no helper pods ${args.allNamespaces ? 'in any namespace' : `in namespace ${client.namespace}`}\n`);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof KubeError) throw new CliError(sanitize(e.message), EXIT.CLUSTER);
    throw e;
  } finally {
    await client.close();
  }
}

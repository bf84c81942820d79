// What `kubectl netpath TARGET --ladder` adds to a diagnosis: the ladder on the primary path from a helper pod
// (or from an ephemeral container with --from-pod), its rungs as checks, and one-line notes on stderr.
import type { KubeClient } from '../../kube/client.ts';
import { KubeError } from '../../kube/errors.ts';
import type { Report } from '../../path/model.ts';
import { sanitize } from '../../text/sanitize.ts';
import type { HelperArgs } from '../../cli/flags.ts';
import { installCleanupHandlers, startSweep } from './cleanup.ts';
import { applyLadder, defaultProbeNamespaces, ladderToEnd } from './ladder.ts';
import type { HelperOptions } from './runner.ts';

/** Helper options from the flags; the namespace defaults to the target Service's. */
export function helperOptions(h: HelperArgs, namespace: string): HelperOptions {
  return {
    namespace: h.probeNamespace ?? namespace,
    ...(h.image ? { image: h.image } : {}),
    ...(h.imagePullSecrets.length ? { imagePullSecrets: h.imagePullSecrets } : {}),
    ...(h.node ? { node: h.node } : {}),
    deadlineSeconds: h.deadlineSeconds,
    noHelpers: h.noHelpers,
  };
}

export async function withLadder(
  client: KubeClient,
  report: Report,
  o: { helpers: HelperArgs; timeoutMs: number; stderr: NodeJS.WritableStream; verbose: boolean; signal?: AbortSignal },
): Promise<Report> {
  const path = report.paths[0];
  if (!path) return report;
  installCleanupHandlers();
  const [ns, ...fallbackNamespaces] = o.helpers.probeNamespace ? [o.helpers.probeNamespace] : defaultProbeNamespaces(path, report.namespace ?? client.namespace);
  const opts = { ...helperOptions(o.helpers, ns!), fallbackNamespaces, timeoutSeconds: Math.max(1, Math.round(Math.min(o.timeoutMs, 10_000) / 1000)), ...(o.helpers.fromPod ? { fromPod: o.helpers.fromPod } : {}) };
  const signal = o.signal ?? new AbortController().signal;
  let result;
  try {
    result = await ladderToEnd(client, path, opts, signal, (ev) => {
    if (ev.type === 'helper' && ev.event.type === 'profile' && ev.event.note) o.stderr.write(`netpath: ${sanitize(ev.event.note)}\n`);
    if (o.verbose && ev.type === 'helper' && ev.event.type === 'status') o.stderr.write(`netpath: ${sanitize(ev.event.message)}\n`);
    if (o.verbose && (ev.type === 'rung-passed' || ev.type === 'rung-failed' || ev.type === 'rung-skipped')) o.stderr.write(`netpath: ladder ${ev.result.id}: ${ev.result.status}: ${sanitize(ev.result.message)}\n`);
    });
  } catch (e) {
    // A read or write the cluster refused mid-way (not the helper's own refusals, which the ladder reports).
    if (!(e instanceof KubeError) || e.fatal) throw e;
    o.stderr.write(`netpath: ladder not run: ${sanitize(e.message)}\n`);
    return report;
  }
  // The background sweep of finished orphans (started with the first helper) finishes before the run ends.
  await startSweep(client, ns!);
  if (!result) return report;
  if (result.verdict.status === 'unknown' && !result.rungs.some((r) => r.status === 'pass')) o.stderr.write(`netpath: ladder not run: ${sanitize(result.verdict.message)}\n`);
  return applyLadder(report, result);
}

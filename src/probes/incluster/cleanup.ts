// Nothing left behind. Every helper pod is remembered from the moment its create is sent until its delete
// returns; `deleteLive` removes them all (signal handlers, uncaught errors, the TUI's quit). After a SIGKILL the
// pod's activeDeadlineSeconds ends it, and the next run sweeps finished pods of this tool (`sweepOrphans`);
// `kubectl netpath cleanup` removes every leftover.
import { ForbiddenError } from '../../kube/errors.ts';
import { type PodTransport, deletePod, listPods } from '../../kube/pods.ts';
import type { KObject } from '../../kube/types.ts';
import { randomBytes } from 'node:crypto';

/** This process's run id: every pod it creates carries it, so a sweep never deletes a live sibling's pods. */
export const RUN_ID = randomBytes(4).toString('hex').slice(0, 6);

// The label values are repeated here (runner.ts imports this module).
const SELECTOR = 'app.kubernetes.io/managed-by=kubectl-netpath';
const RUN_LABEL = 'netpath.dev/run';

interface Live {
  c: PodTransport;
  ns: string;
  name: string;
  creating?: Promise<unknown>;
}

const live = new Map<string, Live>();

export function remember(c: PodTransport, ns: string, name: string, creating?: Promise<unknown>): void {
  live.set(`${ns}/${name}`, { c, ns, name, ...(creating ? { creating: creating.catch(() => undefined) } : {}) });
}

/** Deletes one remembered pod (waiting for an in-flight create first, so the delete cannot overtake it). */
async function remove(l: Live, timeoutMs: number): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  if (l.creating) await Promise.race([l.creating, new Promise((r) => setTimeout(r, Math.min(2000, timeoutMs)).unref())]);
  try {
    await deletePod(l.c, l.ns, l.name, { signal });
  } catch {
    // best effort: the deadline and the next run's sweep remain
  }
}

export async function forget(c: PodTransport, ns: string, name: string, timeoutMs = 5000): Promise<void> {
  const l = live.get(`${ns}/${name}`) ?? { c, ns, name };
  await remove(l, timeoutMs);
  live.delete(`${ns}/${name}`);
}

/** The helper pods this process has created and not yet deleted (`ns/name`). */
export function livePods(): string[] {
  return [...live.keys()];
}

/** Deletes every helper pod of this process, in parallel, within `timeoutMs`. */
export async function deleteLive(timeoutMs = 4000): Promise<number> {
  const all = [...live.values()];
  await Promise.all(all.map((l) => remove(l, timeoutMs).then(() => live.delete(`${l.ns}/${l.name}`))));
  return all.length;
}

let handlersInstalled = false;

/**
 * SIGINT, SIGTERM, SIGHUP and uncaught errors delete this process's helper pods before it exits (130, 143, 129, 1).
 * Idempotent. `write` prints the one-line error of an uncaught exception.
 */
export function installCleanupHandlers(write: (s: string) => void = (s) => process.stderr.write(s)): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  let exiting = false;
  const exitAfterCleanup = (code: number) => {
    if (exiting) return process.exit(code); // a second signal: give up waiting
    exiting = true;
    deleteLive().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => exitAfterCleanup(130));
  process.on('SIGTERM', () => exitAfterCleanup(143));
  process.on('SIGHUP', () => exitAfterCleanup(129));
  const fatal = (e: unknown) => {
    write(`error: ${String((e as Error)?.message ?? e).split('\n')[0]}\n`);
    exitAfterCleanup(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}

export interface SweepResult {
  deleted: string[];
  /** Why the sweep could not look everywhere (RBAC), if so. */
  note?: string;
}

/** Whether a helper pod is an orphan: finished, or past its deadline plus a minute (stuck Pending, unschedulable). */
export function isOrphan(p: KObject, now = Date.now()): boolean {
  const phase = p.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return true;
  if (p.metadata.deletionTimestamp) return false;
  const created = Date.parse(p.metadata.creationTimestamp ?? '');
  const deadline = Number(p.spec?.activeDeadlineSeconds ?? 300);
  return Number.isFinite(created) && now - created > (deadline + 60) * 1000;
}

/**
 * Deletes helper pods of this tool: orphans only (default), or every one (`all`, the cleanup command). Never the
 * pods of `exceptRun` (this process). Looks in every namespace, or only in `namespace` when listing all is forbidden.
 */
export async function sweepOrphans(c: PodTransport, o: { namespace?: string; allNamespaces?: boolean; all?: boolean; exceptRun?: string; signal?: AbortSignal } = {}): Promise<SweepResult> {
  let pods: KObject[];
  let note: string | undefined;
  try {
    pods = await listPods(c, { ...(o.allNamespaces || !o.namespace ? {} : { namespace: o.namespace }), labelSelector: SELECTOR, ...(o.signal ? { signal: o.signal } : {}) });
  } catch (e) {
    if (!(e instanceof ForbiddenError) || !o.namespace || !o.allNamespaces) throw e;
    note = `cannot list pods in all namespaces (${e.message}); swept namespace "${o.namespace}" only`;
    pods = await listPods(c, { namespace: o.namespace, labelSelector: SELECTOR, ...(o.signal ? { signal: o.signal } : {}) });
  }
  const now = Date.now();
  const victims = pods.filter((p) => p.metadata.labels?.[RUN_LABEL] !== o.exceptRun || !o.exceptRun).filter((p) => o.all || isOrphan(p, now));
  const deleted: string[] = [];
  await Promise.all(
    victims.map(async (p) => {
      try {
        if (await deletePod(c, p.metadata.namespace!, p.metadata.name, o.signal ? { signal: o.signal } : {})) deleted.push(`${p.metadata.namespace}/${p.metadata.name}`);
      } catch {
        // forbidden or gone: the next sweep tries again
      }
    }),
  );
  return { deleted: deleted.sort(), ...(note ? { note } : {}) };
}

let sweeping: Promise<SweepResult | undefined> | undefined;

/** The once-per-process background sweep a run starts before creating its first helper pod. */
export function startSweep(c: PodTransport, namespace: string): Promise<SweepResult | undefined> {
  sweeping ??= sweepOrphans(c, { namespace, allNamespaces: true, exceptRun: RUN_ID, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  return sweeping;
}

/** For tests: forget the sweep so the next run sweeps again. */
export function resetSweep(): void {
  sweeping = undefined;
}

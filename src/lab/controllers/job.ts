// The Job controller (batch/v1, as of 1.32): pods `<job>-<5 random>` carrying the job-name/controller-uid labels
// and the batch.kubernetes.io/job-tracking finalizer; parallelism, completions (NonIndexed and Indexed),
// backoffLimit with the exponential pod-creation back-off, activeDeadlineSeconds, suspend,
// ttlSecondsAfterFinished; the SuccessCriteriaMet/Complete and FailureTarget/Failed conditions and the events.
import type { KObject } from '../types.ts';
import { fromLabelSelectorObject } from '../store/selectors.ts';
import { deleteObject } from './gc.ts';
import { namespaceTerminating } from './namespace.ts';
import { createPodFromTemplate, generateNamePrefix, isPodReady, ownedBy } from './replicaset.ts';
import { type Controller, type ControllerContext, keyOf, nowIso, splitKey, WorkQueue } from './runtime.ts';

const COMPONENT = 'job-controller';
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const INDEX_KEY = 'batch.kubernetes.io/job-completion-index';

/**
 * How much faster than a real cluster the lab runs its back-offs (job pod re-creation, kubelet restarts and image
 * pulls): 0.1 means 10 s upstream becomes 1 s here. Messages keep the upstream durations.
 * `backoffScale` may be passed in the lab settings.
 */
export function backoffScale(ctx: ControllerContext): number {
  const s = ctx.settings.backoffScale;
  return typeof s === 'number' && s > 0 ? s : 0.1;
}

function isFinishedPod(p: KObject): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

function jobCondition(type: string, reason: string, message: string, status = 'True'): any {
  const now = nowIso();
  return { type, status, lastProbeTime: now, lastTransitionTime: now, reason, message };
}

function hasCondition(job: KObject, type: string): boolean {
  return (job.status?.conditions ?? []).some((c: any) => c.type === type && c.status === 'True');
}

/** "1,3-5,7" ⇄ sorted index lists, as status.completedIndexes. */
function parseIndexes(s: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map((x) => parseInt(x, 10));
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (b ?? a); i++) out.add(i);
  }
  return out;
}

function formatIndexes(set: Set<number>): string {
  const xs = [...set].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    parts.push(i === j ? `${xs[i]}` : `${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

interface JobMemory {
  /** failures since the last success, for the creation back-off */
  failuresSinceSuccess: number;
  backoffUntil: number;
}

export function jobController(): Controller {
  let ctx: ControllerContext;
  const timers = new Map<string, NodeJS.Timeout>();
  const memory = new Map<string, JobMemory>();
  const queue = new WorkQueue((k) => sync(k), (k, e) => console.error(`lab: job controller ${k}:`, e));

  const jobDef = () => ctx.type('batch', 'jobs');
  const podDef = () => ctx.type('', 'pods');

  function requeueAt(key: string, at: number): void {
    const prev = timers.get(key);
    ctx.clearTimer(prev);
    timers.set(key, ctx.setTimeout(() => {
      timers.delete(key);
      queue.add(key);
    }, Math.max(0, at - Date.now()) + 5));
  }

  /** The selector and labels the apiserver's Job strategy generates at create time when manualSelector is not set. */
  function ensureSelector(job: KObject): boolean {
    if (job.spec?.selector || job.spec?.manualSelector) return false;
    const uid = job.metadata.uid!;
    const name = job.metadata.name!;
    ctx.store.mutate(jobDef(), job.metadata.namespace, name, (j) => {
      j.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };
      j.spec.template ??= {};
      j.spec.template.metadata ??= {};
      j.spec.template.metadata.labels = {
        ...(j.spec.template.metadata.labels ?? {}),
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': name,
        'controller-uid': uid,
        'job-name': name,
      };
    });
    return true;
  }

  /** Releases the tracking finalizer of a pod whose Job no longer exists, as the controller does for orphans. */
  function releaseOrphan(podKey: string): void {
    const [ns, name] = splitKey(podKey);
    const p = ctx.store.get(podDef(), ns, name);
    if (!p?.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) return;
    const ref = p.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Job');
    const job = ref && ctx.store.get(jobDef(), ns, ref.name);
    if (job && job.metadata.uid === ref!.uid) return;
    // a pod still terminating keeps its finalizer until the kubelet reports it finished (the lab's store removes
    // a deleting object as soon as its last finalizer goes)
    if (p.metadata.deletionTimestamp && p.spec?.nodeName && !isFinishedPod(p)) return;
    ctx.store.mutate(podDef(), ns, name, (x) => {
      x.metadata.finalizers = (x.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
      if (!x.metadata.finalizers.length) delete x.metadata.finalizers;
    });
  }

  function sync(key: string): void {
    if (key.startsWith('orphan:')) return releaseOrphan(key.slice(7));
    const [ns, name] = splitKey(key);
    let job = ctx.store.get(jobDef(), ns, name);
    const podsAll = () => {
      const sel = fromLabelSelectorObject(job?.spec?.selector);
      return ctx.store.list(podDef(), ns, sel.length ? { labelSelector: sel } : {}).filter((p) => job && ownedBy(p, job));
    };
    if (!job) {
      memory.delete(key);
      ctx.clearTimer(timers.get(key));
      timers.delete(key);
      return;
    }
    if (ensureSelector(job)) return; // the MODIFIED event brings us back
    const mem = memory.get(key) ?? { failuresSinceSuccess: 0, backoffUntil: 0 };
    memory.set(key, mem);
    const spec = job.spec ?? {};
    const indexed = spec.completionMode === 'Indexed';
    const status: any = { ...(job.status ?? {}) };
    let succeeded: number = status.succeeded ?? 0;
    let failed: number = status.failed ?? 0;
    const completedIdx = parseIndexes(status.completedIndexes);
    const now = Date.now();

    // account finished pods (and remove the tracking finalizer)
    for (const p of podsAll()) {
      if (!p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) continue;
      const terminal = isFinishedPod(p);
      if (!terminal && !(p.metadata.deletionTimestamp && !p.spec?.nodeName)) continue;
      if (p.status?.phase === 'Succeeded') {
        succeeded++;
        mem.failuresSinceSuccess = 0;
        const idx = parseInt(p.metadata.annotations?.[INDEX_KEY] ?? '', 10);
        if (indexed && !Number.isNaN(idx)) completedIdx.add(idx);
      } else {
        failed++;
        mem.failuresSinceSuccess++;
        const delay = Math.min(10_000 * 2 ** (mem.failuresSinceSuccess - 1), 360_000) * backoffScale(ctx);
        mem.backoffUntil = Math.max(mem.backoffUntil, now + delay);
      }
      ctx.store.mutate(podDef(), ns, p.metadata.name!, (x) => {
        x.metadata.finalizers = (x.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
        if (!x.metadata.finalizers.length) delete x.metadata.finalizers;
      });
    }
    if (indexed) succeeded = Math.max(succeeded, completedIdx.size);

    const pods = podsAll();
    let active = pods.filter((p) => !isFinishedPod(p) && !p.metadata.deletionTimestamp);
    const conditions: any[] = [...(status.conditions ?? [])];
    const setCond = (c: any) => {
      const i = conditions.findIndex((x) => x.type === c.type);
      if (i >= 0) {
        if (conditions[i].status === c.status && conditions[i].reason === c.reason) return;
        conditions[i] = c;
      } else conditions.push(c);
    };
    const finished = hasCondition(job, 'Complete') || hasCondition(job, 'Failed');
    const frozen = namespaceTerminating(ctx, ns) || !!job.metadata.deletionTimestamp;

    if (!finished && !frozen) {
      // suspend / resume
      if (spec.suspend) {
        for (const p of active) {
          deleteObject(ctx, podDef(), p);
          ctx.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, COMPONENT);
        }
        active = [];
        if (!hasCondition(job, 'Suspended')) {
          setCond(jobCondition('Suspended', 'JobSuspended', 'Job suspended'));
          ctx.event(job, 'Normal', 'Suspended', 'Job suspended', COMPONENT);
        }
        delete status.startTime;
      } else {
        if (hasCondition(job, 'Suspended')) {
          setCond(jobCondition('Suspended', 'JobResumed', 'Job resumed', 'False'));
          ctx.event(job, 'Normal', 'Resumed', 'Job resumed', COMPONENT);
        }
        status.startTime ??= nowIso();
      }
    }

    if (!finished && !spec.suspend) {
      const completions: number | undefined = spec.completions ?? undefined;
      const parallelism: number = spec.parallelism ?? 1;
      const backoffLimit: number = spec.backoffLimit ?? 6;
      const restarts = active.reduce(
        (n, p) => n + [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((m: number, c: any) => m + (c.restartCount ?? 0), 0),
        0,
      );
      const onFailure = spec.template?.spec?.restartPolicy === 'OnFailure';
      const pastBackoff = failed > backoffLimit || (onFailure && (backoffLimit === 0 ? restarts > 0 : restarts + failed >= backoffLimit) && restarts > 0);
      const deadlineAt = spec.activeDeadlineSeconds !== undefined && status.startTime ? Date.parse(status.startTime) + spec.activeDeadlineSeconds * 1000 : undefined;
      const pastDeadline = deadlineAt !== undefined && now >= deadlineAt;
      const failureTarget = (conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True'));
      const successTarget = conditions.find((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True');
      const complete = completions !== undefined
        ? succeeded >= completions
        : succeeded > 0 && active.length === 0;

      if (failureTarget || pastBackoff || pastDeadline) {
        const [reason, message] = failureTarget
          ? [failureTarget.reason, failureTarget.message]
          : pastBackoff
            ? ['BackoffLimitExceeded', 'Job has reached the specified backoff limit']
            : ['DeadlineExceeded', 'Job was active longer than specified deadline'];
        if (!failureTarget) {
          setCond(jobCondition('FailureTarget', reason, message));
          ctx.event(job, 'Warning', reason, message, COMPONENT);
        }
        for (const p of active) {
          deleteObject(ctx, podDef(), p);
          ctx.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, COMPONENT);
        }
        active = [];
        const still = podsAll().filter((p) => !isFinishedPod(p));
        if (!still.length) setCond(jobCondition('Failed', reason, message));
      } else if (successTarget || complete) {
        if (!successTarget) setCond(jobCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'));
        for (const p of active) {
          deleteObject(ctx, podDef(), p);
          ctx.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, COMPONENT);
        }
        active = [];
        const still = podsAll().filter((p) => !isFinishedPod(p));
        if (!still.length) {
          setCond(jobCondition('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'));
          status.completionTime = nowIso();
          ctx.event(job, 'Normal', 'Completed', 'Job completed', COMPONENT);
        }
      } else if (!frozen) {
        let want = completions !== undefined ? Math.min(completions - succeeded, parallelism) : parallelism;
        if (completions === undefined && succeeded > 0) want = Math.min(want, active.length);
        want = Math.max(0, want);
        if (active.length > want) {
          const extra = [...active].sort((a, b) => Date.parse(b.metadata.creationTimestamp!) - Date.parse(a.metadata.creationTimestamp!)).slice(0, active.length - want);
          for (const p of extra) {
            deleteObject(ctx, podDef(), p);
            ctx.event(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, COMPONENT);
          }
          active = active.filter((p) => !extra.includes(p));
        } else if (active.length < want) {
          if (mem.backoffUntil > now) requeueAt(key, mem.backoffUntil);
          else {
            const busy = new Set(active.map((p) => parseInt(p.metadata.annotations?.[INDEX_KEY] ?? '', 10)));
            let nextIndex = 0;
            for (let i = active.length; i < want; i++) {
              if (indexed) {
                while (completedIdx.has(nextIndex) || busy.has(nextIndex)) nextIndex++;
                if (completions !== undefined && nextIndex >= completions) break;
                busy.add(nextIndex);
              }
              const idx = nextIndex;
              const pod = createPodFromTemplate(ctx, job, spec.template, {
                finalizers: [JOB_TRACKING_FINALIZER],
                ...(indexed
                  ? {
                      generateName: generateNamePrefix(`${name}-${idx}`),
                      annotations: { [INDEX_KEY]: String(idx) },
                      labels: { [INDEX_KEY]: String(idx) },
                      mutateSpec: (s: any) => {
                        s.hostname ??= `${name}-${idx}`;
                        for (const c of [...(s.containers ?? []), ...(s.initContainers ?? [])]) {
                          c.env = [...(c.env ?? []), { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${INDEX_KEY}']` } } }];
                        }
                      },
                    }
                  : {}),
              });
              active.push(pod);
              ctx.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, COMPONENT);
            }
          }
        }
        if (deadlineAt !== undefined) requeueAt(key, deadlineAt);
      }
    }

    // status
    const fresh = podsAll();
    const activeNow = fresh.filter((p) => !isFinishedPod(p) && !p.metadata.deletionTimestamp);
    const out: any = {};
    if (conditions.length) out.conditions = conditions;
    if (status.startTime) out.startTime = status.startTime;
    if (status.completionTime) out.completionTime = status.completionTime;
    if (activeNow.length) out.active = activeNow.length;
    if (succeeded) out.succeeded = succeeded;
    if (failed) out.failed = failed;
    if (indexed && completedIdx.size) out.completedIndexes = formatIndexes(completedIdx);
    out.terminating = fresh.filter((p) => !isFinishedPod(p) && p.metadata.deletionTimestamp).length;
    out.uncountedTerminatedPods = {};
    out.ready = activeNow.filter(isPodReady).length;
    ctx.store.mutate(jobDef(), ns, name, (j) => {
      j.status = out;
    });
    job = ctx.store.get(jobDef(), ns, name)!;

    // ttlSecondsAfterFinished (the TTL-after-finished controller)
    const done = (job.status?.conditions ?? []).find((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    if (done && spec.ttlSecondsAfterFinished !== undefined && !job.metadata.deletionTimestamp) {
      const at = Date.parse(done.lastTransitionTime) + spec.ttlSecondsAfterFinished * 1000;
      if (Date.now() >= at) deleteObject(ctx, jobDef(), job);
      else requeueAt(key, at);
    }
  }

  return {
    name: 'job',
    start(c) {
      ctx = c;
      for (const j of c.store.list(c.type('batch', 'jobs'))) queue.add(keyOf(j));
    },
    onEvent(ev, def) {
      if (def.group === 'batch' && def.plural === 'jobs') {
        if (ev.type !== 'DELETED') queue.add(keyOf(ev.object));
        return;
      }
      if (def.group !== '' || def.plural !== 'pods') return;
      const p = ev.object;
      const ref = p.metadata.ownerReferences?.find((r) => r.controller && r.kind === 'Job');
      if (!ref) {
        // an orphan still carrying the tracking finalizer (its Job is gone): release it
        if (ev.type !== 'DELETED' && p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) queue.add(`orphan:${keyOf(p)}`);
        return;
      }
      queue.add(`${p.metadata.namespace}/${ref.name}`);
      if (ev.type !== 'DELETED' && p.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER)) {
        const job = ctx.store.get(ctx.type('batch', 'jobs'), p.metadata.namespace, ref.name);
        if (!job || job.metadata.uid !== ref.uid) queue.add(`orphan:${keyOf(p)}`);
      }
    },
    stop() {
      queue.stop();
    },
  };
}

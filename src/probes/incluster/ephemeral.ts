// --from-pod: the same commands from the target pod's own network namespace, through a non-interactive ephemeral
// container (`pods/ephemeralcontainers`). Yields the runner's events. Ephemeral containers can never be removed
// from a pod: the container exits with its command and stays listed until the pod is replaced — said once, up
// front, in a `profile` note.
import { ForbiddenError } from '../../kube/errors.ts';
import { type PodTransport, addEphemeralContainer, followLog, getNamespace, getPod, watchPod } from '../../kube/pods.ts';
import { Channel } from './channel.ts';
import { RUN_ID } from './cleanup.ts';
import { DEFAULT_IMAGE, type HelperEvent, HelperError, type HelperSpec, imagePullMessage } from './runner.ts';
import { type Profile, chooseProfile, enforceLevel, refusalMessage, refusedLevel, securityFor, stepDown } from './security.ts';

let n = 0;

export const EPHEMERAL_NOTE = 'ephemeral containers cannot be removed from a pod: this one stays listed (terminated) in the pod until the pod is replaced';

export interface EphemeralOptions {
  namespace: string;
  pod: string;
  /** The container whose process namespace to share (default the pod's first container). */
  target?: string;
  image?: string;
  /** Off with --no-helpers. */
  noHelpers?: boolean;
}

export async function* runEphemeral(c: PodTransport, spec: HelperSpec, o: EphemeralOptions, signal: AbortSignal): AsyncGenerator<HelperEvent> {
  if (o.noHelpers) throw new HelperError('disabled', `--no-helpers: the ${spec.purpose} probe from pod ${o.pod} needs an ephemeral container, nothing was added`);
  const pod = await getPod(c, o.namespace, o.pod, signal);
  if (!pod) throw new HelperError('failed', `pod "${o.pod}" not found in namespace "${o.namespace}" (--from-pod)`);
  if (pod.status?.phase !== 'Running') throw new HelperError('failed', `pod "${o.pod}" is ${pod.status?.phase ?? 'not running'}: --from-pod needs a running pod`);
  const nsObj = await getNamespace(c, o.namespace, signal).catch(() => undefined);
  const level = enforceLevel(nsObj?.metadata.labels);
  let profile: Profile | undefined = chooseProfile(level, spec.needs?.node ? {} : (spec.needs ?? {}));
  const name = `netpath-${RUN_ID}-${++n}`;
  const image = o.image ?? DEFAULT_IMAGE;
  const target = o.target ?? pod.spec?.containers?.[0]?.name;
  let added = false;
  while (profile) {
    const sec = securityFor(profile);
    const ctr = {
      name,
      image,
      imagePullPolicy: 'IfNotPresent',
      command: spec.command(profile),
      ...(target ? { targetContainerName: target } : {}),
      ...(Object.keys(sec.container).length || Object.keys(sec.pod).length ? { securityContext: { ...pickContainerFields(sec.pod), ...sec.container } } : {}),
    };
    try {
      await addEphemeralContainer(c, o.namespace, o.pod, ctr, signal);
      added = true;
      break;
    } catch (e) {
      if (!(e instanceof ForbiddenError)) throw e;
      const refused = refusedLevel(e.message);
      if (!refused) throw new HelperError('forbidden', `cannot add an ephemeral container to pod "${o.pod}": ${e.message.slice(0, 240)}`);
      const next = stepDown(profile, refused);
      if (!next) throw new HelperError('podsecurity', refusalMessage({ namespace: o.namespace, level: refused, what: spec.purpose, serverMessage: e.message }));
      profile = next;
    }
  }
  if (!added || !profile) throw new HelperError('podsecurity', refusalMessage({ namespace: o.namespace, level, what: spec.purpose }));
  yield { type: 'profile', profile, level, pod: `${o.pod} (ephemeral container ${name})`, namespace: o.namespace, note: EPHEMERAL_NOTE };

  const ch = new Channel<HelperEvent>();
  const inner = new AbortController();
  const onAbort = () => inner.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let logTask: Promise<void> | undefined;
  (async () => {
    let final: { code: number; reason?: string } | undefined;
    for await (const p of watchPod(c, o.namespace, o.pod, inner.signal)) {
      const st = (p.status?.ephemeralContainerStatuses ?? []).find((s: any) => s.name === name);
      const w = st?.state?.waiting;
      if (w?.reason && /ErrImagePull|ImagePullBackOff|InvalidImageName/.test(w.reason)) throw new HelperError('image', imagePullMessage(image, w.reason, w.message));
      if (st?.state?.running || st?.state?.terminated) {
        logTask ??= (async () => {
          for await (const line of followLog(c, o.namespace, o.pod, name, inner.signal)) ch.push({ type: 'line', line });
        })().catch(() => undefined);
      }
      if (st?.state?.terminated) {
        final = { code: st.state.terminated.exitCode ?? 1, ...(st.state.terminated.reason ? { reason: st.state.terminated.reason } : {}) };
        break;
      }
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') break;
    }
    if (logTask) await logTask;
    if (final) ch.push({ type: 'exit', ...final });
    ch.end();
  })().catch((e) => ch.fail(e));
  try {
    for await (const ev of ch) yield ev;
  } finally {
    signal.removeEventListener('abort', onAbort);
    inner.abort();
  }
}

/** Pod-level securityContext fields that an ephemeral container's own securityContext can carry. */
function pickContainerFields(pod: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['runAsNonRoot', 'runAsUser', 'runAsGroup', 'seccompProfile']) if (pod[k] !== undefined) out[k] = pod[k];
  return out;
}

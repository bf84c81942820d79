// Port-forward bisect without helper pods: one request to a backend pod's port and one through an ingress
// controller (or Gateway proxy) pod with the path's Host, each through the portforward subresource. Backend
// failing → the pod/app; backend answering but the controller not → the controller; both answering → the fault
// is outside the pods (Service, load balancer, DNS). Needs only `pods/portforward`.
import type { KubeClient } from '../../kube/client.ts';
import { type ForwardedResponse, requestThroughPortForward } from '../../kube/portforward.ts';
import type { InClusterRun, Path } from '../../path/model.ts';

export type BisectEvent = { type: 'step'; step: 'backend' | 'controller'; target: string } | { type: 'answer'; step: 'backend' | 'controller'; response: ForwardedResponse } | { type: 'result'; run: InClusterRun };

export interface BisectInput {
  backend?: { namespace: string; pod: string; port: number };
  controller?: { namespace: string; pod: string; port: number };
}

const good = (r?: ForwardedResponse) => !!r?.status && r.status < 500;

/** The verdict of a bisect over its two answers. Pure. */
export function bisectVerdict(backend?: ForwardedResponse, controller?: ForwardedResponse): { hop: 'pod' | 'controller' | 'outside' | 'unknown'; message: string } {
  if (backend && !good(backend)) return { hop: 'pod', message: `the backend pod itself fails: ${backend.status ? `HTTP ${backend.status}` : backend.error}` };
  if (controller && !good(controller)) return { hop: 'controller', message: `the backend answers${backend?.status ? ` HTTP ${backend.status}` : ''} but the controller does not: ${controller.status ? `HTTP ${controller.status}` : controller.error}` };
  if (backend && controller) return { hop: 'outside', message: 'the backend and the controller both answer through port-forward: the fault is outside the pods (Service, load balancer, DNS)' };
  return { hop: 'unknown', message: 'nothing to bisect (no backend or controller pod known)' };
}

export async function* portForwardBisect(client: KubeClient, path: Path, input: BisectInput, signal: AbortSignal, timeoutMs = 5000): AsyncGenerator<BisectEvent> {
  const host = path.host;
  const reqPath = path.path ?? '/';
  let b: ForwardedResponse | undefined;
  let ctl: ForwardedResponse | undefined;
  const lines: string[] = [];
  if (input.backend) {
    const t = `${input.backend.namespace}/${input.backend.pod}:${input.backend.port}`;
    yield { type: 'step', step: 'backend', target: t };
    b = await requestThroughPortForward(client, { ...input.backend, ...(host ? { host } : {}), path: reqPath, timeoutMs }, signal);
    lines.push(`backend ${t}: ${b.status ? `HTTP ${b.status} ${b.reason ?? ''}` : b.error} (${b.ms} ms)`);
    yield { type: 'answer', step: 'backend', response: b };
  }
  if (input.controller && !signal.aborted) {
    const t = `${input.controller.namespace}/${input.controller.pod}:${input.controller.port}`;
    yield { type: 'step', step: 'controller', target: t };
    ctl = await requestThroughPortForward(client, { ...input.controller, ...(host ? { host } : {}), path: reqPath, timeoutMs }, signal);
    lines.push(`controller ${t} Host ${host ?? '-'}: ${ctl.status ? `HTTP ${ctl.status} ${ctl.reason ?? ''}` : ctl.error} (${ctl.ms} ms)`);
    yield { type: 'answer', step: 'controller', response: ctl };
  }
  const v = bisectVerdict(b, ctl);
  yield { type: 'result', run: { kind: 'portforward', title: `port-forward bisect of ${path.id}`, summary: v.message, status: v.hop === 'outside' ? 'ok' : v.hop === 'unknown' ? 'unknown' : 'fail', lines } };
}

// Small helpers shared by the layer checks.
import type { KObject } from '../kube/types.ts';
import type { PathFacts } from '../path/facts.ts';
import type { Got, ReadFailure } from '../path/fetch.ts';
import { describeFailure } from '../path/fetch.ts';
import type { Check, ObjectRef, Probes, Status } from '../path/model.ts';
import { CHECK_IDS } from './catalogue.ts';

export interface CheckContext {
  facts: PathFacts;
  /** Workstation probe results; undefined with --no-probe. */
  probes?: Probes;
  /** Why probes did not run (e.g. "--no-probe"), when they did not. */
  probeSkipped?: string;
  now: number;
}

export function mk(id: string, status: Status, message: string, evidence: string[] = [], next?: string, objects?: ObjectRef[]): Check {
  if (!CHECK_IDS.has(id)) throw new Error(`check id ${id} is not in the catalogue`);
  return { id, status, message, evidence, ...(next ? { next } : {}), ...(objects?.length ? { objects } : {}) };
}

/** A check that could not run because a read failed: unknown, with the read and its reason as evidence. */
export function unreadable(id: string, what: string, e: ReadFailure, next?: string): Check {
  return mk(id, 'unknown', `not checked: ${what} could not be read (${e.reason === 'Forbidden' ? 'forbidden' : e.reason === 'NotInstalled' ? 'not installed' : 'error'})`, [`${e.what}: ${describeFailure(e)}`], next);
}

export function nsFlag(ns: string | undefined): string {
  return ns ? ` -n ${ns}` : '';
}

export function ref(o: KObject, kind?: string): ObjectRef {
  return { kind: o.kind ?? kind ?? 'Object', name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
}

export function isPodReady(p: KObject): boolean {
  return (p.status?.conditions ?? []).some((c: any) => c?.type === 'Ready' && c.status === 'True');
}

export function podReadyCondition(p: KObject): any {
  return (p.status?.conditions ?? []).find((c: any) => c?.type === 'Ready');
}

export function isNodeReady(n: KObject): boolean {
  return (n.status?.conditions ?? []).some((c: any) => c?.type === 'Ready' && c.status === 'True');
}

export function podPhase(p: KObject): string {
  return p.metadata.deletionTimestamp ? 'Terminating' : String(p.status?.phase ?? 'Unknown');
}

/** `web-7d4b9 (Running, 0/1 ready, 3 restarts) on lab-worker-1`. */
export function podLine(p: KObject): string {
  const cs: any[] = p.status?.containerStatuses ?? [];
  const ready = cs.filter((c) => c?.ready).length;
  const restarts = cs.reduce((n, c) => n + (Number(c?.restartCount) || 0), 0);
  const waiting = cs.map((c) => c?.state?.waiting?.reason).filter(Boolean);
  return `pod/${p.metadata.name} ${podPhase(p)}${waiting.length ? ` (${[...new Set(waiting)].join(', ')})` : ''}, ${ready}/${cs.length || (p.spec?.containers ?? []).length} ready${restarts ? `, ${restarts} restarts` : ''}${p.spec?.nodeName ? ` on ${p.spec.nodeName}` : ''}${p.status?.podIP ? ` ip ${p.status.podIP}` : ''}`;
}

export function labelsText(l: Record<string, string> | undefined): string {
  const e = Object.entries(l ?? {});
  return e.length ? e.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

/** Events about an object, newest last. */
export function eventsFor(events: Got<KObject[]>, kind: string, name: string): KObject[] {
  if (!events.ok) return [];
  return events.value
    .filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name)
    .sort((a, b) => eventTime(a) - eventTime(b));
}

export function eventTime(e: KObject): number {
  const t = e.lastTimestamp ?? e.series?.lastObservedTime ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
  const n = t ? Date.parse(t) : NaN;
  return Number.isNaN(n) ? 0 : n;
}

/** `Warning Unhealthy (x12, 40s ago): Readiness probe failed: …`. */
export function eventLine(e: KObject, now: number): string {
  const count = Number(e.count ?? e.series?.count ?? 1);
  const ago = eventTime(e) ? ` ${ageText(now - eventTime(e))} ago` : '';
  return `${e.type ?? 'Normal'} ${e.reason ?? ''}${count > 1 ? ` (x${count}${ago ? ',' + ago : ''})` : ago ? ` (${ago.trim()})` : ''}: ${String(e.message ?? '').trim()}`;
}

export function ageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The EndpointSlice endpoints for a Service port (by port name, as kube-proxy pairs them). */
export interface EndpointView {
  address: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  pod?: string;
  podNamespace?: string;
  node?: string;
  zone?: string;
  port?: number;
}

export function endpointsOf(slices: KObject[], portName: string | undefined): EndpointView[] {
  const out: EndpointView[] = [];
  for (const s of slices) {
    const ports: any[] = Array.isArray(s.ports) ? s.ports : [];
    const port = ports.find((p) => (p?.name ?? '') === (portName ?? '')) ?? (ports.length === 1 ? ports[0] : undefined);
    if (ports.length && !port) continue;
    for (const ep of Array.isArray(s.endpoints) ? s.endpoints : []) {
      const cond = ep?.conditions ?? {};
      const ready = cond.ready !== false;
      for (const a of Array.isArray(ep?.addresses) ? ep.addresses : []) {
        out.push({
          address: String(a),
          ready,
          serving: cond.serving ?? ready,
          terminating: cond.terminating === true,
          ...(ep.targetRef?.kind === 'Pod' && ep.targetRef.name ? { pod: String(ep.targetRef.name), podNamespace: String(ep.targetRef.namespace ?? s.metadata.namespace ?? '') } : {}),
          ...(ep.nodeName ? { node: String(ep.nodeName) } : {}),
          ...(ep.zone ? { zone: String(ep.zone) } : {}),
          ...(typeof port?.port === 'number' ? { port: port.port } : {}),
        });
      }
    }
  }
  return out;
}

// Ingress layer for Ingress paths: class and controller, admission (address), rule match, backend reference,
// backend protocol, timeouts, TLS. ingress-nginx is checked in depth; other controllers by their class and pods.
import type { KObject } from '../kube/types.ts';
import type { Check } from '../path/model.ts';
import type { ControllerFacts } from '../path/facts.ts';
import { tlsChecks } from './tls.ts';
import { type CheckContext, isPodReady, mk, plural, podLine, unreadable } from './util.ts';

const NGINX = 'nginx.ingress.kubernetes.io/';

/** Controller pods: found, and ready. Shared with the Gateway checks. */
export function controllerPodChecks(ctrl: ControllerFacts, id: 'ing.controller-not-ready' | 'gw.controller-not-ready', what: string, noneReady: 'fail' | 'warn' = 'fail'): Check[] {
  if (!ctrl.spec || !ctrl.spec.inCluster || !ctrl.pods) return [];
  if (!ctrl.pods.ok) return [unreadable(id, `${what} pods`, ctrl.pods.error)];
  const pods = ctrl.pods.value;
  if (!pods.length) return [];
  const ready = pods.filter(isPodReady);
  const next = `kubectl get pods -n ${pods[0]!.metadata.namespace} -l ${ctrl.spec.podSelectors[0] ?? ''}`;
  if (!ready.length) return [mk(id, noneReady, `none of the ${plural(pods.length, `${what} pod`)} is ready${noneReady === 'warn' ? ' (the data plane keeps its last configuration, but changes are not applied)' : ''}`, pods.map(podLine), next)];
  if (ready.length < pods.length) return [mk(id, 'warn', `${ready.length} of ${plural(pods.length, `${what} pod`)} ready`, pods.filter((p) => !isPodReady(p)).map(podLine), next)];
  return [mk(id, 'ok', `${plural(pods.length, `${what} pod`)} ready`, pods.map(podLine))];
}

function ingCmd(ing: KObject): string {
  return `kubectl describe ingress ${ing.metadata.name} -n ${ing.metadata.namespace}`;
}

/** Whether the backend port speaks HTTPS, and why we think so. */
export function backendSpeaksHttps(ctx: CheckContext): string | undefined {
  const b = ctx.facts.backend;
  const sp = b?.servicePort;
  if (!sp) return undefined;
  if (/^https$|^https-|^tls$/i.test(String(sp.name ?? ''))) return `Service port ${sp.port} is named ${sp.name}`;
  const ap = String(sp.appProtocol ?? '').toLowerCase();
  if (ap === 'https' || ap === 'kubernetes.io/wss' || ap === 'tls') return `Service port ${sp.port} has appProtocol ${sp.appProtocol}`;
  for (const p of b!.pods) {
    for (const c of p.spec?.containers ?? []) {
      for (const cp of c?.ports ?? []) {
        const tp = sp.targetPort ?? sp.port;
        const hit = typeof tp === 'string' ? cp?.name === tp : cp?.containerPort === tp;
        if (!hit) continue;
        if (/^https/i.test(String(cp?.name ?? ''))) return `container port ${cp.containerPort} of ${c.name} is named ${cp.name}`;
        const probe = c?.readinessProbe?.httpGet ?? c?.livenessProbe?.httpGet;
        if (probe?.scheme === 'HTTPS' && (probe.port === cp.name || probe.port === cp.containerPort)) return `the ${c.name} container's probe uses scheme HTTPS on port ${cp.name ?? cp.containerPort}`;
      }
    }
  }
  if (sp.port === 443 || sp.targetPort === 443 || sp.targetPort === 8443) return `the backend port is ${sp.targetPort ?? sp.port}`;
  return undefined;
}

function durationSeconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n / 1000 : m[2] === 'm' ? n * 60 : n;
}

export function ingressChecks(ctx: CheckContext): Check[] {
  const f = ctx.facts;
  const ing = f.ingress!;
  const obj = ing.object;
  const out: Check[] = [];
  const classes = f.cluster.ingressClasses;

  // Class and controller.
  if (ing.classSource === 'none') {
    out.push(
      classes.ok
        ? mk('ing.class-missing', 'fail', `Ingress ${obj.metadata.name} names no IngressClass and the cluster has no default class: no controller serves it`, ['spec.ingressClassName: (unset)', `IngressClasses: ${classes.value.map((c) => c.metadata.name).join(', ') || '(none)'}`], 'kubectl get ingressclass')
        : unreadable('ing.class-missing', 'IngressClasses', classes.error),
    );
  } else if (!ing.classObj && ing.classSource !== 'annotation') {
    out.push(
      classes.ok
        ? mk(
            'ing.class-missing',
            'fail',
            `IngressClass "${ing.className}" does not exist: no controller serves Ingress ${obj.metadata.name} (no address; the default backend answers 404)`,
            [`spec.ingressClassName: ${ing.className}`, `IngressClasses in the cluster: ${classes.value.map((c) => `${c.metadata.name} (${c.spec?.controller})`).join(', ') || '(none)'}`],
            'kubectl get ingressclass',
            [{ kind: 'Ingress', name: obj.metadata.name, namespace: obj.metadata.namespace }],
          )
        : unreadable('ing.class-missing', 'IngressClasses', classes.error, 'kubectl get ingressclass'),
    );
  } else {
    out.push(mk('ing.class-missing', 'ok', `IngressClass ${ing.className}${ing.classSource === 'default' ? ' (the default class)' : ing.classSource === 'annotation' ? ' (legacy annotation)' : ''}${ing.controller.controllerName ? ` → ${ing.controller.controllerName}` : ''}`));
    const ctrl = ing.controller;
    if (!ctrl.spec) {
      out.push(mk('ing.class-unclaimed', 'unknown', `not checked: controller "${ctrl.controllerName ?? ing.className}" is not one netpath recognises`, [`IngressClass ${ing.className}: spec.controller ${ctrl.controllerName ?? '(unset)'}`], `kubectl get ingressclass ${ing.className} -o yaml`));
    } else if (!ctrl.spec.inCluster) {
      out.push(mk('ing.class-unclaimed', 'ok', `${ctrl.spec.name} runs outside the cluster (managed control plane)`));
    } else if (ctrl.pods && !ctrl.pods.ok) {
      out.push(unreadable('ing.class-unclaimed', `${ctrl.spec.name} pods`, ctrl.pods.error));
    } else if (ctrl.pods && !ctrl.pods.value.length) {
      out.push(mk('ing.class-unclaimed', 'fail', `no ${ctrl.spec.name} controller pods found: nothing claims IngressClass ${ing.className}`, [`looked for pods with ${ctrl.spec.podSelectors.join(' or ')} in every namespace`], `kubectl get pods -A -l ${ctrl.spec.podSelectors[0]}`));
    } else if (ctrl.pods) {
      out.push(mk('ing.class-unclaimed', 'ok', `${ctrl.spec.name} claims IngressClass ${ing.className}`));
      out.push(...controllerPodChecks(ctrl, 'ing.controller-not-ready', ctrl.spec.name));
    }
  }

  // Published address.
  const classOk = ing.classSource !== 'none' && (ing.classObj || ing.classSource === 'annotation');
  if (classOk) {
    out.push(
      f.lb.published.length
        ? mk('ing.no-address', 'ok', `Ingress ${obj.metadata.name} is published at ${f.lb.published.join(', ')}`)
        : mk('ing.no-address', 'warn', `Ingress ${obj.metadata.name} has no address: its controller has not admitted it (or its load balancer is pending)`, ['status.loadBalancer: {}'], ingCmd(obj)),
    );
  }

  // Rule.
  if (f.noRoute) {
    out.push(mk('ing.no-rule', 'fail', f.noRoute.message, f.noRoute.evidence, f.noRoute.next ?? ingCmd(obj)));
  } else if (ing.match.entry) {
    const e = ing.match.entry;
    const be = e.backend?.service ? `${e.backend.service.name}:${e.backend.service.port?.number ?? e.backend.service.port?.name ?? ''}` : e.backend?.resource ? `${e.backend.resource.kind}/${e.backend.resource.name}` : '?';
    out.push(
      mk(
        'ing.no-rule',
        'ok',
        ing.match.viaDefaultBackend
          ? `no rule path matches; Ingress ${e.ingress.metadata.name}'s default backend ${be} serves ${f.host ?? '*'}${f.path}`
          : `rule ${e.host ?? '*'} ${e.path} (${e.pathType}) of ingress/${e.ingress.metadata.name} → ${be}`,
        ing.match.ingresses.length > 1 ? [`merged Ingresses for the host: ${ing.match.ingresses.map((i) => `${i.metadata.namespace}/${i.metadata.name}`).join(', ')}`] : [],
      ),
    );
    if (ing.match.shadowed.length) {
      out.push(
        mk(
          'ing.rule-conflict',
          'warn',
          `${plural(ing.match.shadowed.length, 'other Ingress', 'other Ingresses')} define the same host and path; ingress/${e.ingress.metadata.name} (the oldest) wins`,
          ing.match.shadowed.map((s) => `ingress/${s.ingress.metadata.name} -n ${s.ingress.metadata.namespace}: ${s.host ?? '*'} ${s.path} (${s.pathType}) created ${s.ingress.metadata.creationTimestamp ?? '?'}`),
          'kubectl get ingress -A',
        ),
      );
    }
  }

  // Backend reference.
  if (f.unsupportedBackend) out.push(mk('ing.backend-unsupported', 'unknown', `not checked: ${f.unsupportedBackend}`));
  const b = f.backend;
  if (b && !f.noRoute) {
    if (!b.service.ok) out.push(unreadable('ing.backend-not-found', `service ${b.name}`, b.service.error));
    else if (!b.service.value)
      out.push(
        mk(
          'ing.backend-not-found',
          'fail',
          `the backend Service ${b.name} does not exist in namespace ${b.namespace}`,
          [`ingress/${obj.metadata.name}: backend ${b.name}:${b.port ?? '?'} (<error: endpoints "${b.name}" not found>)`],
          `kubectl get svc -n ${b.namespace}`,
          [{ kind: 'Service', name: b.name, namespace: b.namespace }],
        ),
      );
    else {
      out.push(mk('ing.backend-not-found', 'ok', `backend Service ${b.name} exists`));
      if (!b.servicePort)
        out.push(
          mk(
            'ing.backend-port-not-found',
            'fail',
            `Service ${b.name} has no port ${typeof b.port === 'string' ? `named "${b.port}"` : b.port}`,
            [`Service ports: ${(b.service.value.spec?.ports ?? []).map((p: any) => `${p.name ? `${p.name}=` : ''}${p.port}/${p.protocol ?? 'TCP'}`).join(', ') || '(none)'}`],
            `kubectl get svc ${b.name} -n ${b.namespace} -o jsonpath='{.spec.ports}'`,
          ),
        );
    }
  }

  // Backend protocol (only once the backend resolved).
  const ctrlId = ing.controller.spec?.id;
  if (b?.servicePort) {
    const https = backendSpeaksHttps(ctx);
    const ann = obj.metadata.annotations ?? {};
    if (!https) out.push(mk('ing.backend-https-no-protocol', 'ok', `the backend speaks plain HTTP on port ${b.servicePort.targetPort ?? b.servicePort.port}`));
    else if (ctrlId === 'ingress-nginx') {
      const proto = (ann[`${NGINX}backend-protocol`] ?? 'HTTP').toUpperCase();
      out.push(
        proto === 'HTTPS' || proto === 'GRPCS'
          ? mk('ing.backend-https-no-protocol', 'ok', `backend-protocol ${proto} matches the HTTPS backend`)
          : mk(
              'ing.backend-https-no-protocol',
              'fail',
              `the backend speaks HTTPS but the Ingress has no ${NGINX}backend-protocol: "HTTPS": ingress-nginx sends plain HTTP and answers 502`,
              [https, `${NGINX}backend-protocol: ${ann[`${NGINX}backend-protocol`] ?? '(unset, HTTP)'}`],
              `kubectl annotate ingress ${obj.metadata.name} -n ${obj.metadata.namespace} ${NGINX}backend-protocol=HTTPS`,
              [{ kind: 'Ingress', name: obj.metadata.name, namespace: obj.metadata.namespace }],
            ),
      );
    } else if (ctrlId === 'aws-alb') {
      const proto = (ann['alb.ingress.kubernetes.io/backend-protocol'] ?? 'HTTP').toUpperCase();
      out.push(
        proto === 'HTTPS'
          ? mk('ing.backend-https-no-protocol', 'ok', 'alb backend-protocol HTTPS matches the HTTPS backend')
          : mk('ing.backend-https-no-protocol', 'fail', 'the backend speaks HTTPS but alb.ingress.kubernetes.io/backend-protocol is not HTTPS', [https], `kubectl annotate ingress ${obj.metadata.name} -n ${obj.metadata.namespace} alb.ingress.kubernetes.io/backend-protocol=HTTPS`),
      );
    } else if (ctrlId === 'traefik') {
      const svcAnn = b.service.ok ? (b.service.value?.metadata.annotations ?? {}) : {};
      const scheme = svcAnn['traefik.ingress.kubernetes.io/service.serversscheme'];
      const auto = /^https/.test(String(b.servicePort.name ?? '')) || b.servicePort.port === 443;
      out.push(
        scheme === 'https' || auto
          ? mk('ing.backend-https-no-protocol', 'ok', 'Traefik speaks HTTPS to the backend (port name/number or serversscheme)')
          : mk('ing.backend-https-no-protocol', 'fail', 'the backend speaks HTTPS but Traefik will use HTTP (set traefik.ingress.kubernetes.io/service.serversscheme: https on the Service)', [https]),
      );
    } else {
      out.push(mk('ing.backend-https-no-protocol', 'unknown', `not checked: the backend speaks HTTPS and netpath does not know how ${ing.controller.spec?.name ?? 'this controller'} selects the backend protocol`, [https]));
    }
  }

  // Timeouts (ingress-nginx).
  if (ctrlId === 'ingress-nginx') {
    const ann = obj.metadata.annotations ?? {};
    const read = durationSeconds(ann[`${NGINX}proxy-read-timeout`]);
    const ev = ['proxy-connect-timeout', 'proxy-read-timeout', 'proxy-send-timeout'].filter((k) => ann[NGINX + k] !== undefined).map((k) => `${NGINX}${k}: ${ann[NGINX + k]}`);
    if (read !== undefined && read < 10)
      out.push(mk('ing.timeouts', 'warn', `proxy-read-timeout is ${read} s (default 60 s): a backend slower than that gets 504 Gateway Time-out`, ev, `curl -sS -o /dev/null -w 'total %{time_total}s status %{http_code}\\n' ${f.scheme ?? 'http'}://${f.host ?? 'HOST'}${f.path}`));
    else out.push(mk('ing.timeouts', 'ok', ev.length ? `proxy timeouts: ${ev.map((e) => e.replace(NGINX, '')).join(', ')}` : 'default proxy timeouts (read/send 60 s, connect 5 s)', ev));
  }

  // TLS.
  out.push(...tlsChecks(ctx, ing.tls));
  return out;
}

// What kube-controller-manager puts in every namespace: the `default` ServiceAccount (serviceaccount-controller)
// and the `kube-root-ca.crt` ConfigMap with the cluster CA (root-ca-cert-publisher).
import type { KObject } from '../types.ts';
import { type Controller, type ControllerContext, WorkQueue } from './runtime.ts';

export function namespaceDefaults(): Controller {
  let queue: WorkQueue;
  let ctx: ControllerContext;
  const reconcile = (ns: string) => {
    const nsObj = ctx.store.get(ctx.type('', 'namespaces'), undefined, ns);
    if (!nsObj || nsObj.metadata.deletionTimestamp) return;
    const sa = ctx.type('', 'serviceaccounts');
    if (!ctx.store.get(sa, ns, 'default'))
      ctx.store.create(sa, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } });
    const cm = ctx.type('', 'configmaps');
    const data = { 'ca.crt': ctx.ca.certPem };
    const current = ctx.store.get(cm, ns, 'kube-root-ca.crt');
    if (!current) {
      ctx.store.create(cm, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'kube-root-ca.crt', namespace: ns, annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } },
        data,
      });
    } else if (current.data?.['ca.crt'] !== data['ca.crt']) {
      ctx.store.mutate(cm, ns, 'kube-root-ca.crt', (o) => (o.data = data));
    }
  };
  return {
    name: 'namespace-defaults',
    start(c) {
      ctx = c;
      queue = new WorkQueue(reconcile);
      for (const n of c.store.list(c.type('', 'namespaces'))) queue.add(n.metadata.name!);
    },
    onEvent(ev, def) {
      const o: KObject = ev.object;
      if (def.kind === 'Namespace' && ev.type !== 'DELETED') queue.add(o.metadata.name!);
      // both are recreated when deleted, as the real controllers do
      if (ev.type === 'DELETED' && o.metadata.namespace &&
        ((def.kind === 'ServiceAccount' && o.metadata.name === 'default') || (def.kind === 'ConfigMap' && o.metadata.name === 'kube-root-ca.crt')))
        queue.add(o.metadata.namespace);
    },
    stop() {
      queue?.stop();
    },
  };
}

// Every controller of the lab's simulated control plane, in start order.
import type { Controller } from './runtime.ts';
import { namespaceController } from './namespace.ts';
import { namespaceDefaults } from './namespace-defaults.ts';
import { garbageCollector } from './gc.ts';
import { deploymentController } from './deployment.ts';
import { replicaSetController } from './replicaset.ts';
import { daemonSetController } from './daemonset.ts';
import { jobController } from './job.ts';
import { scheduler } from './scheduler.ts';
import { kubelet } from './kubelet.ts';
import { serviceController } from './service.ts';
import { endpointSliceController } from './endpointslice.ts';
import { ingressStatusController } from './ingress.ts';
import { gatewayController } from './gateway.ts';
import { labIssuer } from './issuer.ts';

export function allControllers(): Controller[] {
  return [
    namespaceController(),
    namespaceDefaults(),
    garbageCollector(),
    deploymentController(),
    replicaSetController(),
    daemonSetController(),
    jobController(),
    scheduler(),
    kubelet(),
    serviceController(),
    endpointSliceController(),
    ingressStatusController(),
    gatewayController(),
    labIssuer(),
  ];
}

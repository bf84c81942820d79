// Shared setup of the data-plane unit tests: the lab's control plane without its HTTP API (a Store, the resource
// registry, the logs and the controller manager), and a write that creates or replaces an object as a controller
// would.
import { type ResourceDef, ResourceRegistry } from '../../../../src/lab/resources.ts';
import { Store, type StoreOptions } from '../../../../src/lab/store/store.ts';
import { LogStore } from '../../../../src/lab/runtime/logs.ts';
import type { CertificateAuthority } from '../../../../src/lab/pki.ts';
import { ControllerManager } from '../../../../src/lab/controllers/runtime.ts';
import type { KObject } from '../../../../src/lab/types.ts';

export interface TestControlPlane {
  store: Store;
  registry: ResourceRegistry;
  logs: LogStore;
  mgr: ControllerManager;
}

/** A fresh Store, registry, LogStore and ControllerManager (not started). */
export function controlPlane(ca: CertificateAuthority, storeOpts: StoreOptions = {}): TestControlPlane {
  const store = new Store(storeOpts);
  const registry = new ResourceRegistry();
  const logs = new LogStore();
  return { store, registry, logs, mgr: new ControllerManager(store, registry, logs, ca) };
}

/** Creates `obj`, or replaces the stored object of that name at its current resourceVersion. */
export function upsert(store: Store, def: ResourceDef, obj: KObject): KObject {
  const cur = store.get(def, obj.metadata.namespace, obj.metadata.name!);
  if (!cur) return store.create(def, obj);
  return store.update(def, { ...obj, metadata: { ...obj.metadata, resourceVersion: cur.metadata.resourceVersion } });
}

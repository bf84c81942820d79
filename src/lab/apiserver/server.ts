// The lab's Kubernetes API server: HTTPS, bearer-token auth, discovery, OpenAPI, CRUD, watch and pod logs over
// the Store. It speaks JSON only and words its errors as the real apiserver does.
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { apiVersionOf, asVersion, type ResourceDef, type ResourceRegistry } from '../resources.ts';
import type { KObject } from '../types.ts';
import { clone, type Store } from '../store/store.ts';
import {
  ApiError, badRequest, forbidden, invalid, methodNotAllowed, notFound, unauthorized,
} from '../store/errors.ts';
import { fromMap, parseFieldSelector, parseLabelSelector } from '../store/selectors.ts';
import { applyPatch, patchTypeFromContentType } from '../store/patch.ts';
import type { LogStore } from '../runtime/logs.ts';
import { admit } from './admission.ts';
import { admitPodSecurity, warningHeader } from './podsecurity.ts';
import { servePortForward, type UpgradeRequest } from './portforward.ts';
import { ServerResponse as UpgradeResponse } from 'node:http';
import { allocateServiceAddresses } from '../controllers/service.ts';
import { defaultIngressClass } from '../controllers/ingress.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import { openapiGroupVersion, openapiIndex } from './openapi.ts';
import { toTable } from './tables.ts';
import { boolParam, intParam, readJson, sendJson, sendStatus, wantsTable } from './http.ts';
import { serveLogs } from './logs.ts';
import { serveWatch } from './watch.ts';
import { objectJson, sendJsonList } from './serialize.ts';

export interface RequestInfo {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';
  def: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface ApiServerOptions {
  store: Store;
  registry: ResourceRegistry;
  logs: LogStore;
  token: string;
  tls: { certPem: string; keyPem: string };
  host?: string;
  port?: number;
  /** Runs before every authenticated resource request; throw an ApiError to refuse it (fault injection, RBAC). */
  intercept?: (info: RequestInfo) => Promise<void> | void;
}

const VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '70d3cc986aa8221cd1dfb1121852688902d3bf53',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T17:59:15Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** Kinds whose create keeps a user-supplied status (nodes are registered with one by the kubelet). */
const KEEP_STATUS_ON_CREATE = new Set(['Node', 'Namespace', 'Event']);

export class ApiServer {
  private server?: Http2SecureServer;
  private sockets = new Set<Socket>();
  private readonly o: ApiServerOptions;
  private tokenBuf: Buffer;
  url = '';
  /** Open watch and follow streams, so a restart can end them. */
  readonly streams = new Set<ServerResponse>();

  constructor(o: ApiServerOptions) {
    this.o = o;
    this.tokenBuf = Buffer.from(o.token);
  }

  async start(): Promise<string> {
    // HTTP/2 with HTTP/1.1 beside it, as kube-apiserver serves: kubectl and undici multiplex over one connection;
    // WebSocket upgrades (client-node's port-forward, kubectl's) and clients without ALPN get HTTP/1.1.
    const server = createSecureServer({ cert: this.o.tls.certPem, key: this.o.tls.keyPem, allowHTTP1: true }, (req, res) => {
      const r = req as unknown as IncomingMessage;
      const w = res as unknown as ServerResponse;
      this.handle(r, w).catch((e) => this.fail(w, e));
    });
    // HTTP/1.1 connections idle up to 65 s between requests (Node's default 5 s races clients' keep-alive reuse)
    (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 65_000;
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('tlsClientError', () => {});
    // WebSocket/SPDY upgrades (portforward, exec, attach) go through the same handler with a placeholder
    // response on the raw socket: a subresource that upgrades takes the socket, every other answer is a Status.
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', () => {});
      (req as UpgradeRequest).labUpgrade = { socket, head };
      const res = new UpgradeResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket);
      res.on('finish', () => socket.end());
      this.handle(req, res).catch((e) => this.fail(res, e));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    if (!addr || typeof addr === 'string') throw new Error('lab: API server has no address');
    this.url = `https://${addr.address}:${addr.port}`;
    return this.url;
  }

  /** Ends every open connection (watches and follows included); the listener and the state stay. */
  dropConnections(): void {
    for (const r of this.streams) r.destroy();
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const srv = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
    this.dropConnections();
    await closed;
  }

  /**
   * Creates or replaces an object through the same admission as API requests (scenarios, `--manifests`).
   * Objects of namespaced kinds without a namespace go to `default`, as kubectl sends them.
   */
  applyObject(input: KObject): KObject {
    const def = this.o.registry.forKind(input.apiVersion, input.kind);
    if (!def) throw noMatch(input);
    const obj = clone(input);
    obj.metadata ??= {};
    const namespace = def.namespaced ? (obj.metadata.namespace ?? 'default') : undefined;
    const info: RequestInfo = { verb: 'create', def, namespace, name: obj.metadata.name };
    const body = this.bodyObject(obj, info);
    const current = body.metadata.name ? this.o.store.get(def, namespace, body.metadata.name) : undefined;
    if (!current) return this.doCreate(info, body, false);
    body.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.write({ ...info, verb: 'update' }, current, body, false);
  }

  /**
   * Stores an object as it is, status included, as if restored from etcd (generated scale clusters). The object is
   * handed over, not copied: generated objects are built for this, and a 50k-pod cluster is not held twice.
   */
  restoreObject(obj: KObject): KObject {
    const def = this.o.registry.forKind(obj.apiVersion, obj.kind);
    if (!def) throw noMatch(obj);
    if (def.namespaced) obj.metadata.namespace ??= 'default';
    admit(def, obj);
    // a stored Service has the addresses its create allocated
    if (def.kind === 'Service') allocateServiceAddresses(this.o.store, this.o.registry, obj);
    return this.o.store.create(def, obj, { owned: true });
  }

  private fail(res: ServerResponse, e: unknown): void {
    if (e instanceof ApiError) return sendStatus(res, e);
    const msg = e instanceof Error ? e.message : String(e);
    sendStatus(res, new ApiError(500, 'InternalError', `Internal error occurred: ${msg}`));
  }

  private authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization;
    if (!h || !h.startsWith('Bearer ')) return false;
    const given = Buffer.from(h.slice(7).trim());
    return given.length === this.tokenBuf.length && timingSafeEqual(given, this.tokenBuf);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://lab');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (req.method === 'GET' && ['/healthz', '/livez', '/readyz'].includes(path)) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (req.method === 'GET' && path === '/version') return sendJson(res, 200, VERSION);
    if (!this.authorized(req)) throw unauthorized();
    const reg = this.o.registry;
    if (req.method === 'GET') {
      if (path === '/api') return sendJson(res, 200, apiVersions(req.socket.localAddress + ':' + req.socket.localPort));
      if (path === '/apis') return sendJson(res, 200, apiGroupList(reg));
      if (path === '/openapi/v3') return sendJson(res, 200, openapiIndex(reg));
      if (path.startsWith('/openapi/v3/')) {
        const doc = openapiGroupVersion(reg, path.slice('/openapi/v3/'.length));
        if (!doc) throw notFound('', '', path);
        return sendJson(res, 200, doc);
      }
      if (path === '/openapi/v2') {
        // kubectl falls back to v2 for kinds v3 does not list; an empty gnostic Document (a valid, empty protobuf
        // message) tells it there is no schema, so it goes on to the REST mapping and its "no matches for kind".
        res.writeHead(200, { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', 'Content-Length': 0 });
        res.end();
        return;
      }
      const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
      if (m) {
        const list = m[1] ? apiResourceList(reg, '', 'v1') : apiResourceList(reg, m[2]!, m[3]!);
        if (!list) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(res, 200, list);
      }
      const g = /^\/apis\/([^/]+)$/.exec(path);
      if (g) {
        const grp = apiGroup(reg, g[1]!);
        if (!grp) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(res, 200, grp);
      }
    }
    const route = this.route(path, url.searchParams);
    if (!route) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const info = this.requestInfo(req.method ?? 'GET', route, url.searchParams);
    await this.o.intercept?.(info);
    await this.dispatch(req, res, url.searchParams, info);
  }

  /** Splits a resource path into type, namespace, name and subresource. */
  private route(path: string, q: URLSearchParams): { def: ResourceDef; namespace?: string; name?: string; subresource?: string } | undefined {
    const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string, version: string, rest: string[];
    if (segs[0] === 'api' && segs[1] === 'v1') [group, version, rest] = ['', 'v1', segs.slice(2)];
    else if (segs[0] === 'apis' && segs.length >= 4) [group, version, rest] = [segs[1]!, segs[2]!, segs.slice(3)];
    else return undefined;
    if (rest[0] === 'watch') {
      rest = rest.slice(1);
      q.set('watch', 'true');
    }
    const reg = this.o.registry;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const def = reg.lookup(group, version, rest[2]!);
      if (def?.namespaced) {
        if (rest.length > 5) return undefined;
        return { def, namespace: rest[1], name: rest[3], subresource: rest[4] };
      }
    }
    const def = reg.lookup(group, version, rest[0] ?? '');
    if (!def || rest.length > 3) return undefined;
    return { def, name: rest[1], subresource: rest[2] };
  }

  private requestInfo(method: string, r: NonNullable<ReturnType<ApiServer['route']>>, q: URLSearchParams): RequestInfo {
    let verb: RequestInfo['verb'];
    switch (method) {
      case 'GET':
        verb = r.name ? 'get' : boolParam(q.get('watch')) ? 'watch' : 'list';
        break;
      case 'POST':
        verb = 'create';
        break;
      case 'PUT':
        verb = 'update';
        break;
      case 'PATCH':
        verb = 'patch';
        break;
      case 'DELETE':
        verb = r.name ? 'delete' : 'deletecollection';
        break;
      default:
        throw methodNotAllowed();
    }
    if (verb === 'get' && boolParam(q.get('watch'))) verb = 'watch';
    return { verb, ...r };
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, info: RequestInfo): Promise<void> {
    const { def, subresource: sub } = info;
    if (sub) {
      if (!(def.subresources ?? []).includes(sub)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      if (sub === 'log') return serveLogs(this, req, res, q, info, this.o.store, this.o.logs);
      if (sub === 'portforward' && def.kind === 'Pod') return servePortForward(req, res, q, info, this.o.store, this.o.registry);
      if (sub === 'exec' || sub === 'attach' || sub === 'portforward' || sub === 'proxy')
        throw badRequest(`the lab API server does not implement pods/${sub}; use a helper pod and its logs instead`);
    }
    switch (info.verb) {
      case 'get':
        return this.get(req, res, q, info);
      case 'list':
        return this.list(req, res, q, info);
      case 'watch':
        return serveWatch(this, req, res, q, info, this.o.store);
      case 'create':
        return this.create(req, res, q, info);
      case 'update':
        return this.update(req, res, q, info);
      case 'patch':
        return this.patch(req, res, q, info);
      case 'delete':
        return this.delete(req, res, q, info);
      case 'deletecollection':
        return this.deleteCollection(req, res, q, info);
    }
  }

  private respondObject(req: IncomingMessage, res: ServerResponse, code: number, info: RequestInfo, stored: KObject): void {
    const obj = asVersion(info.def, stored);
    if (wantsTable(req.headers.accept) && !info.subresource) {
      return sendJson(res, code, toTable(info.def, [obj], { resourceVersion: obj.metadata.resourceVersion ?? '', includeObject: includeObject(req) }));
    }
    sendJson(res, code, obj);
  }

  private get(req: IncomingMessage, res: ServerResponse, _q: URLSearchParams, info: RequestInfo): void {
    const obj = this.o.store.mustGet(info.def, info.namespace, info.name!);
    if (info.subresource === 'scale') return sendJson(res, 200, scaleOf(info.def, obj));
    this.respondObject(req, res, 200, info, obj);
  }

  private list(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, info: RequestInfo): Promise<void> | void {
    const { def } = info;
    const store = this.o.store;
    const rv = String(store.rv);
    let items = store.list(def, info.namespace, {
      labelSelector: parseLabelSelector(q.get('labelSelector')),
      fieldSelector: parseFieldSelector(q.get('fieldSelector'), def.kind, apiVersionOf(def)),
      sorted: true,
    });
    const limit = intParam(q.get('limit'), 'limit');
    const cont = q.get('continue');
    let nextToken: string | undefined;
    let remaining: number | undefined;
    if (cont) {
      let after: string;
      try {
        after = JSON.parse(Buffer.from(cont, 'base64url').toString()).start;
      } catch {
        throw badRequest('continue key is not valid: illegal base64 data');
      }
      items = items.filter((o) => objectKey(o) > after);
    }
    if (limit && limit > 0 && items.length > limit) {
      remaining = items.length - limit;
      items = items.slice(0, limit);
      nextToken = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: Number(rv), start: objectKey(items[items.length - 1]!) })).toString('base64url');
    }
    if (wantsTable(req.headers.accept)) {
      return sendJson(res, 200, toTable(def, items, { resourceVersion: rv, includeObject: includeObject(req), continue: nextToken, remainingItemCount: remaining }));
    }
    // each item's JSON comes from the per-version cache; a large list goes out in pieces
    return sendJsonList(
      res,
      200,
      { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: rv, ...(nextToken ? { continue: nextToken, remainingItemCount: remaining } : {}) } },
      itemsJson(def, items),
    );
  }

  /** The namespace must exist and not be terminating, as the NamespaceLifecycle admission plugin checks. */
  private checkNamespace(info: RequestInfo, name: string): void {
    if (!info.def.namespaced) return;
    const nsDef = this.o.registry.type('', 'namespaces');
    const ns = this.o.store.get(nsDef, undefined, info.namespace!);
    if (!ns) throw notFound('namespaces', '', info.namespace!);
    if (ns.metadata.deletionTimestamp)
      throw forbidden(
        `${info.def.plural} "${name}" is forbidden: unable to create new content in namespace ${info.namespace} because it is being terminated`,
        { name, kind: info.def.plural },
      );
  }

  private bodyObject(body: unknown, info: RequestInfo): KObject {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('the body of the request was empty or not an object');
    const obj = body as KObject;
    obj.metadata ??= {};
    const want = apiVersionOf(info.def);
    if (obj.kind && obj.kind !== info.def.kind)
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
    if (obj.apiVersion && obj.apiVersion !== want && !(info.def.group && obj.apiVersion.startsWith(info.def.group + '/')))
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${want})`);
    if (info.def.namespaced) {
      if (obj.metadata.namespace && obj.metadata.namespace !== info.namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      obj.metadata.namespace = info.namespace;
    }
    return obj;
  }

  private doCreate(info: RequestInfo, obj: KObject, dryRun: boolean, warnings?: string[]): KObject {
    this.checkNamespace(info, obj.metadata.name ?? obj.metadata.generateName ?? '');
    if (obj.status !== undefined && (info.def.subresources ?? []).includes('status') && !KEEP_STATUS_ON_CREATE.has(info.def.kind)) delete obj.status;
    delete obj.metadata.deletionTimestamp;
    admit(info.def, obj);
    this.admitWithState(info, obj);
    this.podSecurity(info, obj, warnings);
    if (dryRun) {
      const existing = obj.metadata.name ? this.o.store.get(info.def, info.namespace, obj.metadata.name) : undefined;
      if (existing) throw new ApiError(409, 'AlreadyExists', `${info.def.plural} "${obj.metadata.name}" already exists`, { name: obj.metadata.name, kind: info.def.plural });
      obj.apiVersion = apiVersionOf(info.def);
      obj.kind = info.def.kind;
      obj.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      return obj;
    }
    // the body was parsed for this request (or copied by applyObject): the store can keep it
    return this.o.store.create(info.def, obj, { owned: true });
  }

  /** The PodSecurity admission plugin (podsecurity.ts): pods on create and when ephemeral containers are added. */
  private podSecurity(info: RequestInfo, pod: KObject, warnings?: string[]): void {
    if (info.def.kind !== 'Pod' || info.def.group !== '') return;
    const ns = this.o.store.get(this.o.registry.type('', 'namespaces'), undefined, pod.metadata.namespace ?? info.namespace ?? '');
    const w = admitPodSecurity(pod, ns);
    warnings?.push(...w);
  }

  /** Admission steps that read cluster state: Service address allocation, DefaultIngressClass. */
  private admitWithState(info: RequestInfo, obj: KObject, old?: KObject): void {
    const { store, registry } = this.o;
    if (info.def.kind === 'Service') allocateServiceAddresses(store, registry, obj, old, { strict: true });
    if (info.def.kind === 'Ingress' && !old && !obj.spec?.ingressClassName && !obj.metadata.annotations?.['kubernetes.io/ingress.class']) {
      const dflt = defaultIngressClass(store.list(registry.type('networking.k8s.io', 'ingressclasses')));
      if (dflt) obj.spec.ingressClassName = dflt.metadata.name;
    }
  }

  private async create(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, info: RequestInfo): Promise<void> {
    const body = await readJson(req);
    if (info.subresource === 'binding') return this.bind(res, info, body as KObject);
    if (info.subresource === 'eviction') {
      const pod = this.o.store.mustGet(info.def, info.namespace, info.name!);
      this.deleteObject(info, pod, {});
      return sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    }
    if (info.name) throw methodNotAllowed();
    const obj = this.bodyObject(body, info);
    const warnings: string[] = [];
    const created = this.doCreate(info, obj, q.get('dryRun') === 'All', warnings);
    if (warnings.length) res.setHeader('Warning', warnings.map(warningHeader));
    this.respondObject(req, res, 201, info, created);
  }

  private bind(res: ServerResponse, info: RequestInfo, body: KObject): void {
    const node = body?.target?.name;
    if (!node) throw invalid('Binding', '', info.name!, [{ field: 'target.name', message: 'Required value' }]);
    this.o.store.mutate(info.def, info.namespace, info.name!, (p) => {
      if (p.spec.nodeName) throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on pods/binding "${info.name}": pod ${info.name} is already assigned to node "${p.spec.nodeName}"`);
      p.spec.nodeName = node;
    });
    sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  /** Keeps status on main-resource writes and everything but status on /status writes, as the REST strategies do. */
  private mergeForSubresource(info: RequestInfo, current: KObject, next: KObject): KObject {
    const hasStatusSub = (info.def.subresources ?? []).includes('status');
    if (info.subresource === 'status') {
      const out = clone(current);
      out.status = next.status;
      out.metadata = { ...out.metadata, resourceVersion: next.metadata?.resourceVersion ?? out.metadata.resourceVersion };
      return out;
    }
    if (info.subresource === 'ephemeralcontainers') {
      const out = clone(current);
      out.spec.ephemeralContainers = next.spec?.ephemeralContainers ?? [];
      out.metadata.resourceVersion = next.metadata?.resourceVersion ?? out.metadata.resourceVersion;
      return out;
    }
    if (info.subresource === 'finalize' && info.def.kind === 'Namespace') {
      const out = clone(current);
      out.spec = next.spec;
      return out;
    }
    // a copy: admission defaults top-level status fields, and the stored status must stay as it is
    if (hasStatusSub && !KEEP_STATUS_ON_CREATE.has(info.def.kind)) next.status = isPlainObject(current.status) ? { ...current.status } : current.status;
    return next;
  }

  private write(info: RequestInfo, current: KObject, next: KObject, dryRun: boolean): KObject {
    const merged = this.mergeForSubresource(info, current, next);
    merged.metadata.name = current.metadata.name;
    merged.metadata.namespace = current.metadata.namespace;
    if (info.subresource !== 'status') {
      admit(info.def, merged);
      this.admitWithState(info, merged, current);
    }
    if (info.subresource === 'ephemeralcontainers') {
      // ephemeral containers may only be added
      const before = (current.spec.ephemeralContainers ?? []).map((c: any) => c.name);
      const after = new Set((merged.spec.ephemeralContainers ?? []).map((c: any) => c.name));
      if (before.some((n: string) => !after.has(n)))
        throw invalid('Pod', '', current.metadata.name!, [{ field: 'spec.ephemeralContainers', message: 'Forbidden: existing ephemeral containers may not be removed' }]);
      validateEphemeral(current, merged);
      this.podSecurity(info, merged);
    }
    if (dryRun) return merged;
    // merged is this request's own object (parsed body, patch result or a copy), sharing at most immutable subtrees
    return this.o.store.update(info.def, merged, { checkRV: true, owned: true });
  }

  private async update(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, info: RequestInfo): Promise<void> {
    const body = this.bodyObject(await readJson(req), info);
    if (body.metadata.name && body.metadata.name !== info.name)
      throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${info.name})`);
    body.metadata.name = info.name;
    if (info.subresource === 'scale') return this.scale(res, info, body.spec?.replicas);
    const current = this.o.store.mustGet(info.def, info.namespace, info.name!);
    const out = this.write(info, current, body, q.get('dryRun') === 'All');
    this.respondObject(req, res, 200, info, out);
  }

  private scale(res: ServerResponse, info: RequestInfo, replicas: unknown): void {
    if (!Number.isInteger(replicas) || (replicas as number) < 0)
      throw invalid('Scale', 'autoscaling', info.name!, [{ field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` }]);
    const out = this.o.store.mutate(info.def, info.namespace, info.name!, (o) => {
      o.spec.replicas = replicas;
    });
    if (!out) throw notFound(info.def.plural, info.def.group, info.name!);
    sendJson(res, 200, scaleOf(info.def, out));
  }

  private async patch(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, info: RequestInfo): Promise<void> {
    const type = patchTypeFromContentType(req.headers['content-type']);
    const body = await readJson(req);
    const dryRun = q.get('dryRun') === 'All';
    const current = this.o.store.get(info.def, info.namespace, info.name!);
    if (info.subresource === 'scale') {
      if (!current) throw notFound(info.def.plural, info.def.group, info.name!);
      const patched = applyPatch(type, scaleOf(info.def, current) as KObject, body);
      return this.scale(res, info, patched.spec?.replicas);
    }
    if (!current) {
      if (type !== 'apply' || info.subresource) throw notFound(info.def.plural, info.def.group, info.name!);
      const obj = this.bodyObject(body, info);
      if (obj.metadata.name && obj.metadata.name !== info.name)
        throw badRequest(`the name of the object (${obj.metadata.name}) does not match the name on the URL (${info.name})`);
      obj.metadata.name = info.name;
      delete obj.metadata.managedFields;
      const created = this.doCreate(info, obj, dryRun);
      return this.respondObject(req, res, 201, info, created);
    }
    if (type === 'apply') this.bodyObject(body, info);
    const patched = applyPatch(type, current, body);
    // a patch that does not carry a resourceVersion is unconditional
    const rvInPatch = (body as any)?.metadata?.resourceVersion;
    if (!rvInPatch) patched.metadata.resourceVersion = current.metadata.resourceVersion;
    const out = this.write(info, current, patched, dryRun);
    this.respondObject(req, res, 200, info, out);
  }

  private async deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<{ gracePeriodSeconds?: number; propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string }; dryRun?: boolean }> {
    const body = ((await readJson(req)) ?? {}) as any;
    return {
      gracePeriodSeconds: intParam(q.get('gracePeriodSeconds'), 'gracePeriodSeconds') ?? body.gracePeriodSeconds,
      propagationPolicy: q.get('propagationPolicy') ?? body.propagationPolicy ?? (body.orphanDependents === true ? 'Orphan' : undefined),
      preconditions: body.preconditions,
      dryRun: q.get('dryRun') === 'All' || (Array.isArray(body.dryRun) && body.dryRun.includes('All')),
    };
  }

  /** Deletes one object: graceful for scheduled pods, deferred by finalizers, orphaning dependents when asked. */
  deleteObject(info: RequestInfo, obj: KObject, opts: Awaited<ReturnType<ApiServer['deleteOptions']>>): KObject {
    const store = this.o.store;
    const { def } = info;
    const name = obj.metadata.name!;
    const ns = obj.metadata.namespace;
    if (opts.preconditions?.uid && opts.preconditions.uid !== obj.metadata.uid)
      throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${obj.metadata.uid}`);
    if (opts.preconditions?.resourceVersion && opts.preconditions.resourceVersion !== obj.metadata.resourceVersion)
      throw new ApiError(409, 'Conflict', `Precondition failed: ResourceVersion in precondition: ${opts.preconditions.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`);
    if (opts.dryRun) return obj;
    if (opts.propagationPolicy === 'Orphan') this.orphanDependents(obj.metadata.uid!);
    if (def.kind === 'Namespace') {
      const out = store.markDeleting(def, undefined, name);
      return store.mutate(def, undefined, name, (n) => {
        n.status = { ...n.status, phase: 'Terminating' };
      }) ?? out;
    }
    if (def.kind === 'Pod') {
      const grace = opts.gracePeriodSeconds ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
      const running = !!obj.spec?.nodeName && !['Succeeded', 'Failed'].includes(obj.status?.phase);
      if (grace > 0 && running) return store.markDeleting(def, ns, name, grace);
    }
    if (obj.metadata.finalizers?.length) return store.markDeleting(def, ns, name);
    return store.remove(def, ns, name);
  }

  private orphanDependents(uid: string): void {
    const store = this.o.store;
    for (const d of this.o.registry.all) {
      for (const o of store.list(d)) {
        if (o.metadata.ownerReferences?.some((r) => r.uid === uid)) {
          store.mutate(d, o.metadata.namespace, o.metadata.name!, (x) => {
            x.metadata.ownerReferences = x.metadata.ownerReferences!.filter((r) => r.uid !== uid);
            if (!x.metadata.ownerReferences.length) delete x.metadata.ownerReferences;
          });
        }
      }
    }
  }

  private async delete(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, info: RequestInfo): Promise<void> {
    if (info.subresource) throw methodNotAllowed();
    const opts = await this.deleteOptions(req, q);
    const obj = this.o.store.mustGet(info.def, info.namespace, info.name!);
    const out = this.deleteObject(info, obj, opts);
    sendJson(res, 200, out);
  }

  private async deleteCollection(req: IncomingMessage, res: ServerResponse, q: URLSearchParams, info: RequestInfo): Promise<void> {
    const opts = await this.deleteOptions(req, q);
    const { def } = info;
    const items = this.o.store.list(def, info.namespace, {
      labelSelector: parseLabelSelector(q.get('labelSelector')),
      fieldSelector: parseFieldSelector(q.get('fieldSelector'), def.kind, apiVersionOf(def)),
      sorted: true,
    });
    const out = items.map((o) => this.deleteObject({ ...info, name: o.metadata.name, namespace: o.metadata.namespace }, o, opts));
    sendJson(res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(this.o.store.rv) }, items: out });
  }
}

/** ValidateEphemeralContainers: names unique across the pod, image required, no ports or probes. */
function validateEphemeral(current: KObject, merged: KObject): void {
  const causes: { field: string; message: string }[] = [];
  const taken = new Set([...(current.spec?.containers ?? []), ...(current.spec?.initContainers ?? [])].map((c: any) => c.name));
  const seen = new Set<string>();
  (merged.spec?.ephemeralContainers ?? []).forEach((c: any, i: number) => {
    const f = `spec.ephemeralContainers[${i}]`;
    if (!c?.name) causes.push({ field: `${f}.name`, message: 'Required value' });
    else if (taken.has(c.name) || seen.has(c.name)) causes.push({ field: `${f}.name`, message: `Duplicate value: "${c.name}"` });
    seen.add(c?.name);
    if (!c?.image) causes.push({ field: `${f}.image`, message: 'Required value' });
    if (c?.ports?.length) causes.push({ field: `${f}.ports`, message: 'Forbidden: cannot be set for an Ephemeral Container' });
    for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe'])
      if (c?.[p]) causes.push({ field: `${f}.${p}`, message: 'Forbidden: cannot be set for an Ephemeral Container' });
    if (c?.targetContainerName && !taken.has(c.targetContainerName))
      causes.push({ field: `${f}.targetContainerName`, message: `Not found: "${c.targetContainerName}"` });
  });
  if (causes.length) throw invalid('Pod', '', current.metadata.name!, causes);
}

/** `kubectl apply`'s "no matches for kind" wording, for objects of a kind the lab does not serve. */
export function noMatch(obj: KObject): Error {
  return new Error(`resource mapping not found for name: "${obj.metadata?.name}" namespace: "${obj.metadata?.namespace ?? ''}" from "": no matches for kind "${obj.kind}" in version "${obj.apiVersion}"`);
}

function* itemsJson(def: ResourceDef, items: KObject[]): Generator<string> {
  for (const o of items) {
    const v = asVersion(def, o);
    yield v === o ? objectJson(o) : JSON.stringify(v);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function objectKey(o: KObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function includeObject(req: IncomingMessage): 'None' | 'Metadata' | 'Object' {
  const v = new URL(req.url ?? '/', 'https://lab').searchParams.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

function scaleOf(def: ResourceDef, obj: KObject): Record<string, unknown> {
  const sel = obj.spec?.selector;
  const selector = sel?.matchLabels ? fromMap(sel.matchLabels).map((r) => `${r.key}=${(r as { values: string[] }).values[0]}`).join(',') : '';
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector },
  };
  void def;
}

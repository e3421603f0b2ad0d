import type { RestTransport } from "./transport.ts";
import { NoKindMatchError } from "./errors.ts";
import { gvkKey, parseApiVersion } from "../api/meta.ts";

export interface RESTMapping {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name, as in the URL. */
  resource: string;
  namespaced: boolean;
}

interface APIResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/** A kind that is missing is looked up again at most this often, so a CRD installed later is found without a storm. */
const MISS_REFRESH_MS = 1000;

/**
 * Maps kinds to resources through discovery, one group-version at a time and only when first needed, like
 * controller-runtime's lazy dynamic RESTMapper. A miss refreshes that group-version, so CRDs installed after start work.
 */
export class RESTMapper {
  private readonly byKind = new Map<string, RESTMapping>();
  private readonly loaded = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly transport: RestTransport | undefined;

  /** Without a transport the mapper knows only what is added to it: enough for fake clients and tests. */
  constructor(transport?: RestTransport) {
    this.transport = transport;
  }

  add(mapping: RESTMapping): void {
    const apiVersion = mapping.group ? `${mapping.group}/${mapping.version}` : mapping.version;
    this.byKind.set(gvkKey({ apiVersion, kind: mapping.kind }), mapping);
  }

  async mapping(type: { apiVersion: string; kind: string }): Promise<RESTMapping> {
    const key = gvkKey(type);
    const known = this.byKind.get(key);
    if (known) return known;
    if (this.transport) {
      const last = this.loaded.get(type.apiVersion);
      if (last === undefined || Date.now() - last > MISS_REFRESH_MS) await this.discover(type.apiVersion);
      const found = this.byKind.get(key);
      if (found) return found;
    }
    throw new NoKindMatchError(type.apiVersion, type.kind);
  }

  private discover(apiVersion: string): Promise<void> {
    let pending = this.inflight.get(apiVersion);
    if (!pending) {
      pending = this.fetch(apiVersion).finally(() => this.inflight.delete(apiVersion));
      this.inflight.set(apiVersion, pending);
    }
    return pending;
  }

  private async fetch(apiVersion: string): Promise<void> {
    const { group, version } = parseApiVersion(apiVersion);
    const path = group ? `/apis/${group}/${version}` : `/api/${version}`;
    let list: APIResourceList;
    try {
      list = await this.transport!.request<APIResourceList>("GET", path);
    } catch (err) {
      // A group-version that is not served is a miss, not a failure; anything else (unreachable server) is.
      if ((err as { code?: number }).code === 404) {
        this.loaded.set(apiVersion, Date.now());
        return;
      }
      throw err;
    }
    for (const r of list.resources) {
      if (r.name.includes("/")) continue;
      this.add({ group, version, kind: r.kind, resource: r.name, namespaced: r.namespaced });
    }
    this.loaded.set(apiVersion, Date.now());
  }
}

/** The URL path of a resource collection or object, optionally a subresource. */
export function resourcePath(m: RESTMapping, namespace?: string, name?: string, subresource?: string): string {
  let path = m.group ? `/apis/${m.group}/${m.version}` : `/api/${m.version}`;
  if (m.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${m.resource}`;
  if (name) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

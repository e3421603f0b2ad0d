import type { KubeObject, ObjectList, ResourceType } from "../api/object.ts";
import { FakeClient, type FakeKind, type IndexFunc } from "./client.ts";
import type { FakeWebhooks } from "./webhooks.ts";

/**
 * Builds a FakeClient: `new FakeClientBuilder().withObjects(...).withStatusSubresource(Widget).build()`.
 * The built-in kinds of api/kinds.ts are known already; custom resources need withKind().
 */
export class FakeClientBuilder {
  private readonly objects: KubeObject[] = [];
  private readonly kinds: FakeKind[] = [];
  private readonly indexes: { type: ResourceType; field: string; extract: IndexFunc<never> }[] = [];
  private statusSubresource: ResourceType[] | undefined;
  private readonly webhooks: FakeWebhooks[] = [];

  /** Objects present from the start; their status is kept even for kinds with a status subresource. */
  withObjects(...objects: KubeObject[]): this {
    this.objects.push(...objects);
    return this;
  }

  withLists(...lists: ObjectList[]): this {
    for (const list of lists) this.objects.push(...list.items);
    return this;
  }

  /**
   * Kinds whose status is written only through status(): update() and patch() leave it alone, status() writes
   * nothing else. Without this call, the built-in kinds a real API server serves with a status subresource are used
   * (Deployment, Pod, ...); with it, exactly the kinds given (as controller-runtime's WithStatusSubresource).
   */
  withStatusSubresource(...types: ResourceType[]): this {
    this.statusSubresource = [...(this.statusSubresource ?? []), ...types];
    return this;
  }

  /** Makes a kind (a custom resource) known; plural defaults to the kind's guessed plural ("Widget" -> "widgets"). */
  withKind(type: ResourceType, options: { namespaced: boolean; plural?: string }): this {
    this.kinds.push({ type, ...options });
    return this;
  }

  /** An index for `list(type, { matchingFields: { [field]: value } })`, as Cache.indexField registers on a cache. */
  withIndex<T extends KubeObject>(type: ResourceType<T>, field: string, extract: IndexFunc<T>): this {
    this.indexes.push({ type, field, extract: extract as IndexFunc<never> });
    return this;
  }

  /**
   * Runs a kind's defaulter and validator on every create, update, patch and delete, as the API server would call
   * their webhooks: defaults are applied through the same JSON patch, refusals are the API server's errors.
   */
  withWebhooks<T extends KubeObject>(type: ResourceType<T>, hooks: Omit<FakeWebhooks<T>, "type">): this {
    this.webhooks.push({ type, ...hooks } as unknown as FakeWebhooks);
    return this;
  }

  build(): FakeClient {
    return new FakeClient({
      kinds: this.kinds,
      indexes: this.indexes,
      objects: this.objects,
      webhooks: this.webhooks,
      ...(this.statusSubresource ? { statusSubresource: this.statusSubresource } : {}),
    });
  }
}

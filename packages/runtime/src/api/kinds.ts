import type {
  V1ConfigMap,
  V1Secret,
  V1Pod,
  V1Service,
  V1Namespace,
  CoreV1Event,
  V1ServiceAccount,
  V1PersistentVolumeClaim,
  V1Node,
  V1Endpoints,
  V1Deployment,
  V1StatefulSet,
  V1ReplicaSet,
  V1DaemonSet,
  V1Job,
  V1Lease,
  V1Role,
  V1RoleBinding,
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1CustomResourceDefinition,
  V1SelfSubjectAccessReview,
  V1ValidatingWebhookConfiguration,
  V1MutatingWebhookConfiguration,
} from "@kubernetes/client-node";
import { type Json, type ResourceType, resourceType } from "./object.ts";

// Built-in kinds, typed with client-node's models in their JSON shape. The constants carry their type by name: left
// to inference, each declaration would spell out its kind's whole structure (Pod alone ~1,800 lines of index.d.ts).

export type ConfigMap = Json<V1ConfigMap>;
export type Secret = Json<V1Secret>;
export type Pod = Json<V1Pod>;
export type Service = Json<V1Service>;
export type Namespace = Json<V1Namespace>;
export type Event = Json<CoreV1Event>;
export type ServiceAccount = Json<V1ServiceAccount>;
export type PersistentVolumeClaim = Json<V1PersistentVolumeClaim>;
export type Node = Json<V1Node>;
export type Endpoints = Json<V1Endpoints>;
export type Deployment = Json<V1Deployment>;
export type StatefulSet = Json<V1StatefulSet>;
export type ReplicaSet = Json<V1ReplicaSet>;
export type DaemonSet = Json<V1DaemonSet>;
export type Job = Json<V1Job>;
export type Lease = Json<V1Lease>;
export type Role = Json<V1Role>;
export type RoleBinding = Json<V1RoleBinding>;
export type ClusterRole = Json<V1ClusterRole>;
export type ClusterRoleBinding = Json<V1ClusterRoleBinding>;
export type CustomResourceDefinition = Json<V1CustomResourceDefinition>;
export type SelfSubjectAccessReview = Json<V1SelfSubjectAccessReview>;
export type ValidatingWebhookConfiguration = Json<V1ValidatingWebhookConfiguration>;
export type MutatingWebhookConfiguration = Json<V1MutatingWebhookConfiguration>;

export const ConfigMap: ResourceType<ConfigMap> = resourceType<ConfigMap>("v1", "ConfigMap");
export const Secret: ResourceType<Secret> = resourceType<Secret>("v1", "Secret");
export const Pod: ResourceType<Pod> = resourceType<Pod>("v1", "Pod");
export const Service: ResourceType<Service> = resourceType<Service>("v1", "Service");
export const Namespace: ResourceType<Namespace> = resourceType<Namespace>("v1", "Namespace");
export const Event: ResourceType<Event> = resourceType<Event>("v1", "Event");
export const ServiceAccount: ResourceType<ServiceAccount> = resourceType<ServiceAccount>("v1", "ServiceAccount");
export const PersistentVolumeClaim: ResourceType<PersistentVolumeClaim> = resourceType<PersistentVolumeClaim>("v1", "PersistentVolumeClaim");
export const Node: ResourceType<Node> = resourceType<Node>("v1", "Node");
export const Endpoints: ResourceType<Endpoints> = resourceType<Endpoints>("v1", "Endpoints");
export const Deployment: ResourceType<Deployment> = resourceType<Deployment>("apps/v1", "Deployment");
export const StatefulSet: ResourceType<StatefulSet> = resourceType<StatefulSet>("apps/v1", "StatefulSet");
export const ReplicaSet: ResourceType<ReplicaSet> = resourceType<ReplicaSet>("apps/v1", "ReplicaSet");
export const DaemonSet: ResourceType<DaemonSet> = resourceType<DaemonSet>("apps/v1", "DaemonSet");
export const Job: ResourceType<Job> = resourceType<Job>("batch/v1", "Job");
export const Lease: ResourceType<Lease> = resourceType<Lease>("coordination.k8s.io/v1", "Lease");
export const Role: ResourceType<Role> = resourceType<Role>("rbac.authorization.k8s.io/v1", "Role");
export const RoleBinding: ResourceType<RoleBinding> = resourceType<RoleBinding>("rbac.authorization.k8s.io/v1", "RoleBinding");
export const ClusterRole: ResourceType<ClusterRole> = resourceType<ClusterRole>("rbac.authorization.k8s.io/v1", "ClusterRole");
export const ClusterRoleBinding: ResourceType<ClusterRoleBinding> = resourceType<ClusterRoleBinding>("rbac.authorization.k8s.io/v1", "ClusterRoleBinding");
export const CustomResourceDefinition: ResourceType<CustomResourceDefinition> = resourceType<CustomResourceDefinition>("apiextensions.k8s.io/v1", "CustomResourceDefinition");
export const SelfSubjectAccessReview: ResourceType<SelfSubjectAccessReview> = resourceType<SelfSubjectAccessReview>("authorization.k8s.io/v1", "SelfSubjectAccessReview");
export const ValidatingWebhookConfiguration: ResourceType<ValidatingWebhookConfiguration> = resourceType<ValidatingWebhookConfiguration>(
  "admissionregistration.k8s.io/v1",
  "ValidatingWebhookConfiguration",
);
export const MutatingWebhookConfiguration: ResourceType<MutatingWebhookConfiguration> = resourceType<MutatingWebhookConfiguration>(
  "admissionregistration.k8s.io/v1",
  "MutatingWebhookConfiguration",
);

/**
 * Admission and conversion webhooks, controller-runtime's pkg/webhook: an HTTPS WebhookServer the Manager runs in its
 * server group, AdmissionReview v1 handling, CustomDefaulter and CustomValidator with
 * `webhookManagedBy(mgr).for(Kind).withDefaulter(d).withValidator(v).complete()`, field errors worded as the API
 * server words them, and certificates the framework can manage itself (CertRotator: a CA and a serving certificate in
 * a Secret shared by replicas, renewed before expiry, caBundle written into the configurations and CRDs) or read from
 * files such as cert-manager's (CertWatcher). Conversion webhooks serve every version of a kind defined with a hub
 * and spokes (defineCustomResource's `hub` and `conversion`) on /convert.
 *
 *   const server = getWebhookServer(mgr, { port: 9443, certificates: new CertRotator({ client, secret, hosts, targets }) });
 *   webhookManagedBy(mgr).for(Memcached).withDefaulter({ default(m) { m.spec.size ??= 1; } }).withValidator(v).complete();
 */
export {
  type AdmissionHandler,
  type AdmissionRequest,
  type AdmissionResponse,
  type AdmissionResult,
  type AdmissionReview,
  allowed,
  denied,
  deniedWithStatus,
  errored,
  MalformedReviewError,
  type Operation,
  parseAdmissionReview,
  patchResponse,
  type UserInfo,
} from "./admission.ts";
export { type AdmissionContext, type CustomDefaulter, type CustomValidator, defaultingHandler, validatingHandler, type ValidationResult } from "./custom.ts";
export { field, FieldError, type FieldErrorType, FieldPath, fieldPath, InvalidError, invalidStatus } from "./field.ts";
export {
  type CertificateAuthority,
  type CertificatePair,
  type CertificateSource,
  generateCA,
  generateServingCertificate,
  serviceDNSNames,
  staticCertificates,
} from "./certs.ts";
export { CertWatcher, type CertWatcherOptions } from "./certwatcher.ts";
export { CertRotator, type CertRotatorOptions } from "./rotator.ts";
export { admissionWebhook, type Webhook, WebhookServer, type WebhookServerOptions } from "./server.ts";
export { ConversionWebhook, type ConversionReview } from "./conversion.ts";
export { conversionWebhookFor, getWebhookServer, WebhookBuilder, webhookDefinitions, webhookManagedBy, webhookPath } from "./builder.ts";
export { type WebhookConfigurationOptions, webhookConfigurations, type WebhookDefinition } from "./manifests.ts";

/** The names a scaffold is given, checked before anything is written: a bad one is refused with the rule it breaks. */

export class ScaffoldError extends Error {
  override name = "ScaffoldError";
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function checkProjectName(name: string): string {
  if (!DNS_LABEL.test(name) || name.length > 63) {
    throw new ScaffoldError(`project name "${name}" must be lowercase letters, digits and "-" (a DNS label, at most 63 characters): it names the package, the ClusterRole and the leader-election Lease`);
  }
  return name;
}

export function checkDomain(domain: string): string {
  if (!DNS_SUBDOMAIN.test(domain) || !domain.includes(".")) {
    throw new ScaffoldError(`domain "${domain}" must be a DNS name with a dot, such as example.com: API groups are <group>.<domain>`);
  }
  return domain;
}

export function checkGroup(group: string): string {
  if (!DNS_LABEL.test(group)) throw new ScaffoldError(`group "${group}" must be a lowercase DNS label such as "webapp"; the API group becomes <group>.<domain>`);
  return group;
}

export function checkVersion(version: string): string {
  if (!/^v[1-9][0-9]*((alpha|beta)[1-9][0-9]*)?$/.test(version)) {
    throw new ScaffoldError(`version "${version}" must look like v1, v1beta1 or v2alpha1 (Kubernetes API versions)`);
  }
  return version;
}

export function checkKind(kind: string): string {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind) || kind.length > 63) {
    throw new ScaffoldError(`kind "${kind}" must be PascalCase letters and digits, such as "Guestbook"`);
  }
  return kind;
}

/** "GuestBook" -> "guestbook": file names and the controller's name, as kubebuilder lowercases kinds. */
export function lower(kind: string): string {
  return kind.toLowerCase();
}

/** "GuestBook" -> "guestBook": names of values in the generated code. */
export function camel(kind: string): string {
  return kind[0]!.toLowerCase() + kind.slice(1);
}

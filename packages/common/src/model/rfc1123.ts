/**
 * RFC 1123 DNS labels, the naming rule of Kubernetes targets and App instance ids (Databricks
 * `caching/util` `Rfc1123`).
 */

/** The label pattern as Dicer prints it in messages. */
export const RFC1123_LABEL_PATTERN = '[0-9a-z]([0-9-a-z]{0,61}[0-9a-z])?';

const LABEL = new RegExp(`^${RFC1123_LABEL_PATTERN}$`);

/** True when the whole string is an RFC 1123 label: lower-case alphanumerics and `-`, 1–63 long, no leading/trailing `-`. */
export function isRfc1123Label(value: string): boolean {
  return LABEL.test(value);
}

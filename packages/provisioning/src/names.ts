/**
 * Name rules of the services: overlay names are DNS names (they are virtual hosts, TLS server
 * names and DNS SRV owners); user names become the rfc822Name of the certificates (RFC 6940
 * §11.3: "allow only legal characters in the name").
 */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * True when `name` is a valid DNS host name usable as an overlay name: 2+ labels of letters,
 * digits and inner hyphens, each 1–63 characters, 253 characters at most, no trailing dot,
 * and a top-level label that is not all digits.
 */
export function isValidOverlayName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((l) => LABEL.test(l))) return false;
  return !/^\d+$/.test(labels[labels.length - 1]);
}

/**
 * True when `name` is an acceptable enrollment account name: 1–64 characters of letters,
 * digits, `.`, `_`, `+`, `-` (starting with a letter or digit), optionally followed by `@` and
 * a DNS name (then it is used as the certificate's rfc822Name as is; otherwise the user name
 * is `name@overlay`).
 */
export function isValidUserName(name: string): boolean {
  const at = name.indexOf('@');
  const local = at < 0 ? name : name.slice(0, at);
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(local)) return false;
  return at < 0 || isValidOverlayName(name.slice(at + 1));
}

import type { FieldIssue } from '../errors/index.js';

/**
 * Docker image references, checked at submission against the engine's own grammar
 * (distribution/reference, `reference.go`), so that a name such as `busybox;reboot` is refused
 * with the field named instead of being stored and failing at the worker:
 *
 * ```
 * reference       := name [ ":" tag ] [ "@" digest ]
 * name            := [ domain "/" ] path-component [ "/" path-component ]*
 * domain          := host [ ":" port ]   host: DNS labels joined by ".", or "[" IPv6 "]"
 * path-component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 * tag             := [\w][\w.-]{0,127}
 * digest          := algorithm ":" hex   (sha256: 64 hex digits; others: 32 or more)
 * ```
 *
 * As in Docker, the first component is a registry only when it has a `.` or a `:`, is
 * `localhost`, or has an upper-case letter; otherwise the image comes from `docker.io`.
 */

/** Longest name (registry and path, without tag or digest) Docker accepts. */
const MAX_NAME_LENGTH = 255;

/** The registry of references that name none. */
export const DEFAULT_REGISTRY = 'docker.io';

const DOMAIN_LABEL = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^(?:${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const SHA256_DIGEST = /^sha256:[0-9a-fA-F]{64}$/;

/** The parts of a valid reference. */
export interface ImageReference {
  /** Registry host (and port) the image is pulled from; {@link DEFAULT_REGISTRY} when none is named. */
  readonly registry: string;
  /** Repository path inside the registry (`library/busybox` is written `busybox`). */
  readonly path: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

/** A parsed reference, or why the text is not one. */
export type ImageReferenceParse =
  { readonly ok: true; readonly ref: ImageReference } | { readonly ok: false; readonly reason: string };

function looksLikeDomain(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component === 'localhost' ||
    component !== component.toLowerCase()
  );
}

/** Parses `text` with Docker's reference grammar. */
export function parseImageReference(text: string): ImageReferenceParse {
  const fail = (reason: string): ImageReferenceParse => ({ ok: false, reason });
  if (text === '') return fail('an image reference must not be empty');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest) || (digest.startsWith('sha256:') && !SHA256_DIGEST.test(digest)))
      return fail(`"${digest}" is not a digest such as sha256:<64 hex digits>`);
  }
  let tag: string | undefined;
  // A tag follows the last ":" after the last "/" (a ":" before it is a registry port).
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return fail(`"${tag}" is not a tag (letters, digits, "_", "." or "-", at most 128)`);
  }
  if (rest.length > MAX_NAME_LENGTH) return fail(`the name is longer than ${MAX_NAME_LENGTH} characters`);
  const components = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  if (components.length > 1 && looksLikeDomain(components[0] as string)) {
    registry = components.shift() as string;
    if (!DOMAIN.test(registry)) return fail(`"${registry}" is not a registry host[:port]`);
  }
  for (const c of components) {
    if (!PATH_COMPONENT.test(c))
      return fail(
        `"${c}" is not a repository name component (lower-case letters and digits, separated by ".", "_", "__" or "-")`,
      );
  }
  return { ok: true, ref: { registry, path: components.join('/'), tag, digest } };
}

/**
 * Checks one image reference: the grammar, then the registry allow-list (empty: any registry).
 * @returns the problem as a sentence, or undefined when the reference is acceptable
 */
export function imageReferenceProblem(
  image: string,
  registryAllowList: readonly string[] = [],
): string | undefined {
  const parsed = parseImageReference(image);
  if (!parsed.ok) return `"${image}" is not a Docker image reference: ${parsed.reason}`;
  if (registryAllowList.length > 0 && !registryAllowList.includes(parsed.ref.registry))
    return `images from registry "${parsed.ref.registry}" are not allowed (allowed: ${registryAllowList.join(', ')})`;
  return undefined;
}

/**
 * Adds a `FIELD_FORMAT` issue at `<task pointer>/image` for every task whose image reference is
 * not valid or comes from a registry outside the allow-list.
 */
export function checkImageReferences(
  tasks: readonly { readonly image: string }[],
  taskPointers: readonly string[],
  registryAllowList: readonly string[] | undefined,
  issues: FieldIssue[],
): void {
  tasks.forEach((t, i) => {
    const problem = imageReferenceProblem(t.image, registryAllowList);
    if (problem)
      issues.push({ code: 'FIELD_FORMAT', pointer: `${taskPointers[i] ?? ''}/image`, message: problem });
  });
}

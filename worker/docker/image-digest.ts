/**
 * The reference that names exactly the image a container runs, from `docker image inspect`: the
 * repository digest under the name the task asked for (`repo@sha256:…`, pullable on any engine)
 * when the image came from a registry, else the engine's image id (`sha256:…`, which that engine
 * also accepts as a reference). A service pins its generation to it (docs/design/services.md).
 */

/** The part of `docker image inspect` this reads. */
export interface InspectedImage {
  readonly Id: string;
  readonly RepoDigests?: readonly string[] | null;
}

/** Longest digest reference the protocol carries (core/protocol/messages.ts reportSchema). */
const MAX_LENGTH = 512;

/** `image`'s repository: the reference without its digest and tag, Docker Hub's prefixes dropped. */
export function repositoryOf(image: string): string {
  let repo = image.split('@')[0] ?? image;
  const slash = repo.lastIndexOf('/');
  const colon = repo.lastIndexOf(':');
  if (colon > slash) repo = repo.slice(0, colon);
  return repo
    .replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '')
    .replace(/^library\//, '');
}

/**
 * The digest reference of the inspected image as asked for by `image`; undefined when the
 * engine's answer has nothing usable (no id).
 */
export function imageDigestOf(info: InspectedImage, image: string): string | undefined {
  const repo = repositoryOf(image);
  const byName = (info.RepoDigests ?? []).find((d) => repositoryOf(d) === repo && d.includes('@sha256:'));
  const ref = byName ?? (info.Id.startsWith('sha256:') ? info.Id : undefined);
  return ref && ref.length <= MAX_LENGTH && !/\s/.test(ref) ? ref : undefined;
}

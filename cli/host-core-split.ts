/**
 * How the all-in-one's local Docker workers share the host's cores: disjoint contiguous slices, as
 * even as possible (the first `cores % workers` slices get one core more). All of them book on one
 * engine, so two workers offering the same core would both hand it out (issue 13: cpuset `0` on
 * both at once). Fewer cores than workers: one core each, and only as many workers as cores.
 * @param coreIds the host's cores, in order
 * @param workers how many workers were asked for (at least 1 is assumed by callers)
 * @returns one core list per worker that can start; `.length` may be less than `workers`
 */
export function splitHostCores(coreIds: readonly number[], workers: number): number[][] {
  const count = Math.max(0, Math.min(workers, coreIds.length));
  const slices: number[][] = [];
  let next = 0;
  for (let i = 0; i < count; i++) {
    const size = Math.floor(coreIds.length / count) + (i < coreIds.length % count ? 1 : 0);
    slices.push(coreIds.slice(next, next + size));
    next += size;
  }
  return slices;
}

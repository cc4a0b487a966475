/**
 * A forest of sparse max-segment-trees over the same key space `0 .. keyCount-1`, one tree per
 * bucket, sharing one node pool in typed arrays.
 *
 * The worker index keeps one tree per free-core count; a worker (key = worker index, value = free
 * memory) sits in exactly one tree. Each tree answers "lowest key whose value ≥ m" in O(log N), and
 * insert/remove are O(log N). Nodes exist only on the paths of present keys, so the whole forest
 * holds O(N log C)-ish nodes however many buckets there are, where a dense tree per bucket would
 * cost O(N·C) memory (8 GiB for 100k workers of 4096 cores).
 *
 * Node 0 is the empty sentinel: `max[0]` stays -1, below any value (values are ≥ 0).
 */

const EMPTY = -1;

/** See the file comment. */
export class SparseMaxForest {
  /** Root node per tree; 0 = empty tree. */
  private readonly roots: Int32Array;
  private readonly depth: number;
  private readonly path: Int32Array;
  private left: Int32Array;
  private right: Int32Array;
  private max: Float64Array;
  /** Head of the free list, linked through `left`; 0 = empty. */
  private freeHead = 0;
  /** First node never used. */
  private fresh = 1;

  /**
   * @param treeCount number of trees (buckets)
   * @param keyCount keys are `0 .. keyCount-1`
   * @param nodeHint initial pool size; the pool doubles when it runs out
   */
  constructor(treeCount: number, keyCount: number, nodeHint: number) {
    this.roots = new Int32Array(treeCount);
    let depth = 0;
    while (1 << depth < keyCount) depth++;
    this.depth = depth;
    this.path = new Int32Array(depth + 1);
    const size = Math.max(nodeHint, 2 * (depth + 1));
    this.left = new Int32Array(size);
    this.right = new Int32Array(size);
    this.max = new Float64Array(size).fill(EMPTY);
  }

  /** Largest value in a tree, or -1 when it is empty. */
  rootMax(tree: number): number {
    return this.max[this.roots[tree]!]!;
  }

  /** Adds `key` with `value` (≥ 0) to `tree`; the key must not be in it. */
  insert(tree: number, key: number, value: number): void {
    this.reserve(this.depth + 1);
    const { left, right, max } = this;
    let node = this.roots[tree]!;
    if (node === 0) {
      node = this.alloc();
      this.roots[tree] = node;
    }
    // Values only grow on the way down, so no second pass is needed.
    if (max[node]! < value) max[node] = value;
    for (let d = this.depth - 1; d >= 0; d--) {
      let child: number;
      if ((key >>> d) & 1) {
        child = right[node]!;
        if (child === 0) right[node] = child = this.alloc();
      } else {
        child = left[node]!;
        if (child === 0) left[node] = child = this.alloc();
      }
      node = child;
      if (max[node]! < value) max[node] = value;
    }
  }

  /** Removes `key` from `tree`; the key must be in it. Frees nodes whose subtree becomes empty. */
  remove(tree: number, key: number): void {
    const { left, right, max, path, depth } = this;
    let node = this.roots[tree]!;
    path[0] = node;
    for (let d = depth - 1; d >= 0; d--) {
      node = (key >>> d) & 1 ? right[node]! : left[node]!;
      path[depth - d] = node;
    }
    this.release(node);
    let childFreed = true;
    for (let level = depth - 1; level >= 0; level--) {
      node = path[level]!;
      if (childFreed) {
        if ((key >>> (depth - 1 - level)) & 1) right[node] = 0;
        else left[node] = 0;
      }
      const l = left[node]!;
      const r = right[node]!;
      if (l === 0 && r === 0) {
        this.release(node);
        childFreed = true;
        continue;
      }
      childFreed = false;
      const m = max[l]! > max[r]! ? max[l]! : max[r]!;
      // Once a node's maximum is unchanged, no ancestor's can change either.
      if (m === max[node]) return;
      max[node] = m;
    }
    if (childFreed) this.roots[tree] = 0;
  }

  /** Lowest key in `tree` whose value is ≥ `value` (≥ 0), or -1. O(depth). */
  lowestAtLeast(tree: number, value: number): number {
    const { left, right, max } = this;
    let node = this.roots[tree]!;
    if (max[node]! < value) return -1;
    let key = 0;
    for (let d = this.depth - 1; d >= 0; d--) {
      const l = left[node]!;
      if (max[l]! >= value) {
        node = l;
      } else {
        node = right[node]!;
        key |= 1 << d;
      }
    }
    return key;
  }

  /**
   * Lowest key in `tree` whose value is ≥ `value` (≥ 0), if that key is below `bound`; else -1.
   * Stops as soon as the key's known high bits reach `bound`, so searching many trees for the
   * overall lowest key gets cheaper as the best key so far gets lower.
   */
  lowestAtLeastBelow(tree: number, value: number, bound: number): number {
    const { left, right, max } = this;
    let node = this.roots[tree]!;
    if (max[node]! < value) return -1;
    let key = 0;
    for (let d = this.depth - 1; d >= 0; d--) {
      const l = left[node]!;
      if (max[l]! >= value) {
        node = l;
      } else {
        node = right[node]!;
        key |= 1 << d;
        if (key >= bound) return -1;
      }
    }
    return key < bound ? key : -1;
  }

  private alloc(): number {
    const node = this.freeHead;
    if (node !== 0) {
      this.freeHead = this.left[node]!;
      this.left[node] = 0;
      return node;
    }
    return this.fresh++;
  }

  private release(node: number): void {
    this.left[node] = this.freeHead;
    this.right[node] = 0;
    this.max[node] = EMPTY;
    this.freeHead = node;
  }

  /** Makes sure `count` allocations cannot outgrow the arrays, doubling them if needed. */
  private reserve(count: number): void {
    if (this.fresh + count <= this.max.length) return;
    const size = Math.max(this.max.length * 2, this.fresh + count);
    const left = new Int32Array(size);
    left.set(this.left);
    const right = new Int32Array(size);
    right.set(this.right);
    const max = new Float64Array(size).fill(EMPTY);
    max.set(this.max);
    this.left = left;
    this.right = right;
    this.max = max;
  }
}

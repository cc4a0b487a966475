/**
 * A dense segment tree over the free-core buckets `0 .. bucketCount-1` holding, per bucket, how
 * many usable workers it has and the largest free memory among them. It finds the best-fit
 * bucket (lowest ≥ c with enough memory) or the worst-fit bucket (highest with enough memory) in
 * O(log C), and counts workers with fewer than c free cores (for reasons) in O(log C).
 */

/** See the file comment. */
export class BucketTree {
  private readonly size: number;
  private readonly bucketCount: number;
  private readonly count: Int32Array;
  private readonly max: Float64Array;

  /** @param bucketCount buckets are free-core counts `0 .. bucketCount-1` */
  constructor(bucketCount: number) {
    let size = 1;
    while (size < bucketCount) size *= 2;
    this.size = size;
    this.bucketCount = bucketCount;
    this.count = new Int32Array(2 * size);
    this.max = new Float64Array(2 * size).fill(-1);
  }

  /** Sets a bucket's leaf without updating ancestors; call {@link rebuild} after a batch of these. */
  setLeaf(bucket: number, count: number, max: number): void {
    this.count[this.size + bucket] = count;
    this.max[this.size + bucket] = max;
  }

  /** Recomputes every inner node from the leaves, O(C). */
  rebuild(): void {
    for (let i = this.size - 1; i >= 1; i--) {
      this.count[i] = this.count[2 * i]! + this.count[2 * i + 1]!;
      this.max[i] = Math.max(this.max[2 * i]!, this.max[2 * i + 1]!);
    }
  }

  /** Adds `delta` workers to a bucket and sets its largest free memory. */
  update(bucket: number, delta: number, max: number): void {
    const { count, max: maxes } = this;
    let i = this.size + bucket;
    count[i]! += delta;
    maxes[i] = max;
    for (i >>= 1; i >= 1; i >>= 1) {
      count[i]! += delta;
      const l = maxes[2 * i]!;
      const r = maxes[2 * i + 1]!;
      maxes[i] = l > r ? l : r;
    }
  }

  /** Workers in buckets below `cores`, i.e. with fewer free cores. */
  countBelow(cores: number): number {
    let l = this.size;
    let r = this.size + Math.min(cores, this.bucketCount);
    let sum = 0;
    while (l < r) {
      if (l & 1) sum += this.count[l++]!;
      if (r & 1) sum += this.count[--r]!;
      l >>= 1;
      r >>= 1;
    }
    return sum;
  }

  /** Lowest bucket ≥ `cores` whose largest free memory is ≥ `memory`, or -1. */
  lowestAtLeast(cores: number, memory: number): number {
    if (cores >= this.bucketCount) return -1;
    const { max, size } = this;
    let i = size + cores;
    // Walk right along the leaf level through maximal aligned subtrees until one qualifies.
    while (max[i]! < memory) {
      while (i & 1) i >>= 1;
      if (i === 0) return -1;
      i++;
    }
    while (i < size) i = max[2 * i]! >= memory ? 2 * i : 2 * i + 1;
    return i - size;
  }

  /** Highest bucket ≥ `cores` whose largest free memory is ≥ `memory`, or -1. */
  highestAtLeast(cores: number, memory: number): number {
    const { max, size } = this;
    if (max[1]! < memory) return -1;
    let i = 1;
    while (i < size) i = max[2 * i + 1]! >= memory ? 2 * i + 1 : 2 * i;
    const bucket = i - size;
    return bucket >= cores ? bucket : -1;
  }
}

// Seeded pseudo-random numbers for the engine and the tests: same seed, same sequence, on every
// platform and worker count. 32-bit integer arithmetic only (Math.imul), no BigInt, no allocation.
//
// SplitMix32 expands a single number into well-mixed 32-bit words (used to seed the main generator);
// Xoshiro128 (the ** scrambler over 128 bits of state) is the workhorse: period 2^128 - 1, fast,
// statistically sound for simulation (not for cryptography).

/** SplitMix32: a Weyl sequence (step 0x9e3779b9) through murmur3's 32-bit finaliser. */
export class SplitMix32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32, without modulo bias. */
  nextInt(n: number): number {
    return boundedInt(this, n);
  }
}

/** Xoshiro128**: 128-bit state seeded through SplitMix32 so any number (even 0) is a good seed. */
export class Xoshiro128 {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * `stream` selects an independent sequence for the same seed, so that e.g. the peer graph
   * stays the same when only the migration pattern of a scenario changes.
   */
  constructor(seed: number, stream = 0) {
    const sm = new SplitMix32((seed >>> 0) ^ Math.imul(stream + 1, 0x632be5ab));
    // Skip one output so that stream k's first word differs from stream k+1's seed words.
    sm.nextU32();
    this.s0 = sm.nextU32();
    this.s1 = sm.nextU32();
    this.s2 = sm.nextU32();
    this.s3 = sm.nextU32();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
  }

  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32, without modulo bias. */
  nextInt(n: number): number {
    return boundedInt(this, n);
  }

  /** Fills `out` with random bytes. */
  fillBytes(out: Uint8Array): Uint8Array {
    let i = 0;
    for (; i + 4 <= out.length; i += 4) {
      const w = this.nextU32();
      out[i] = w >>> 24;
      out[i + 1] = w >>> 16;
      out[i + 2] = w >>> 8;
      out[i + 3] = w;
    }
    if (i < out.length) {
      let w = this.nextU32();
      for (; i < out.length; i++, w >>>= 8) out[i] = w;
    }
    return out;
  }

  /** The four state words, to checkpoint a run; restore with fromState. */
  getState(): [number, number, number, number] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  static fromState(state: readonly [number, number, number, number]): Xoshiro128 {
    const r = new Xoshiro128(0);
    r.s0 = state[0] | 0;
    r.s1 = state[1] | 0;
    r.s2 = state[2] | 0;
    r.s3 = state[3] | 0;
    if ((r.s0 | r.s1 | r.s2 | r.s3) === 0) r.s0 = 1;
    return r;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

interface U32Source {
  nextU32(): number;
}

/** Lemire-style rejection: draw until the value falls in the largest multiple of n below 2^32. */
function boundedInt(src: U32Source, n: number): number {
  if (!(n >= 1 && n <= 4294967296) || !Number.isInteger(n)) {
    throw new RangeError(`nextInt bound: ${n} is not an integer in 1..2^32`);
  }
  if (n === 4294967296) return src.nextU32();
  const limit = 4294967296 - (4294967296 % n);
  for (;;) {
    const x = src.nextU32();
    if (x < limit) return x % n;
  }
}

// Seeded pseudo-random numbers for scenario generation. Scenarios must be identical for a
// seed on every machine and every worker count, so nothing here touches Math.random, and
// everything is 32-bit integer arithmetic (Math.imul, >>> 0) that JavaScript computes exactly.
//
// Xoshiro128** (Blackman and Vigna, 2018) for the stream, SplitMix32 to expand a 32-bit seed
// into the 128-bit state (the authors' recommended seeding, which never yields the all-zero
// state that xoshiro cannot leave).

/** SplitMix32: a tiny generator used to derive seeds and state words. */
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
}

const TWO_POW_32 = 4294967296;

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
    const mix = new SplitMix32((seed >>> 0) ^ Math.imul(stream + 1, 0x632be5ab));
    // Skip one output so that stream k's first word differs from stream k+1's seed words.
    mix.nextU32();
    this.s0 = mix.nextU32();
    this.s1 = mix.nextU32();
    this.s2 = mix.nextU32();
    this.s3 = mix.nextU32();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextU32(): number {
    const s1 = this.s1;
    // result = rotl(s1 * 5, 7) * 9
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  nextFloat(): number {
    return this.nextU32() / TWO_POW_32;
  }

  /**
   * Uniform integer in [0, n), n in 1..2^32, without modulo bias: draws that fall in the
   * incomplete last block of size 2^32 mod n are rejected (at most one in two draws, and for
   * the n used here, below 2^23, about one in 500).
   */
  nextInt(n: number): number {
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let r = this.nextU32();
    while (r >= limit) r = this.nextU32();
    return r % n;
  }
}

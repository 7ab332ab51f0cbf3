// Seeded randomness for the table tests and benchmark: xorshift32, deterministic per seed.
export function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** n distinct non-zero GUIDs as two u32 arrays, some with a zero high or a zero low half. */
export function distinctGuids(n: number, seed: number): { high: Uint32Array; low: Uint32Array } {
  const next = xorshift32(seed);
  const high = new Uint32Array(n);
  const low = new Uint32Array(n);
  const seen = new Set<string>();
  for (let i = 0; i < n; ) {
    const pick = next() % 16;
    const h = pick === 0 ? 0 : next();
    const l = pick === 1 ? 0 : next();
    if ((h | l) === 0) continue;
    const k = `${h}:${l}`;
    if (seen.has(k)) continue;
    seen.add(k);
    high[i] = h;
    low[i] = l;
    i++;
  }
  return { high, low };
}

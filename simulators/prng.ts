/**
 * Seeded, platform-independent randomness for the simulators. Never
 * `Math.random`: every random draw is a pure function of a seed and the
 * coordinates of the value being drawn (seed, enterprise, sensor, tick), so
 * any window of simulated time can be regenerated on its own and gives the
 * same bytes every time.
 *
 * Integer hashing uses `Math.imul` and unsigned shifts only, so the streams
 * are identical on every JavaScript engine.
 */

/** FNV-1a over the UTF-16 code units of `s`, continuing from `h`. */
export function hashString(s: string, h = 0x811c9dc5): number {
  let x = h >>> 0;
  for (let i = 0; i < s.length; i++) {
    x ^= s.charCodeAt(i);
    x = Math.imul(x, 0x01000193);
  }
  return x >>> 0;
}

/** MurmurHash3's 32-bit finaliser: a bijective avalanche of one word. */
export function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Combines a hash with one more word (a non-negative integer up to 2^53). */
export function mix(h: number, n: number): number {
  const lo = n >>> 0;
  const hi = Math.floor(n / 0x1_0000_0000) >>> 0;
  let x = fmix32((h ^ Math.imul(lo, 0x9e3779b1)) >>> 0);
  x = fmix32((x ^ Math.imul(hi + 0x7f4a7c15, 0x85ebca77)) >>> 0);
  return x;
}

/** A 32-bit key from a seed and any number of string or integer parts. */
export function keyOf(seed: number, ...parts: (string | number)[]): number {
  let h = mix(0x2545f491, seed >>> 0);
  for (const p of parts) h = typeof p === 'number' ? mix(h, p) : fmix32(hashString(p, h));
  return h;
}

/** A uniform generator on [0, 1). */
export type Rng = () => number;

/** mulberry32: a small, fast 32-bit generator; good enough for simulated noise. */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller, one of the pair). */
export function gaussian(rng: Rng): number {
  const u1 = 1 - rng(); // (0, 1]: log(0) never happens
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** A standard normal draw truncated to ±`limit` (clipped), so bands computed from σ hold for certain. */
export function truncatedGaussian(rng: Rng, limit = 4): number {
  const g = gaussian(rng);
  return g > limit ? limit : g < -limit ? -limit : g;
}

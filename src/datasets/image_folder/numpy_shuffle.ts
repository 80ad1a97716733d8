/**
 * NumPy's legacy `np.random.RandomState(seed).shuffle(list)`: MT19937 seeded as NumPy seeds it,
 * and Fisher-Yates with NumPy's masked rejection sampling. Keras shuffles the file paths of
 * `image_dataset_from_directory` this way before taking the validation split, so the same seed
 * gives the same training and validation files here as in Keras.
 */
const N = 624;
const M = 397;

export class MT19937 {
  private readonly key = new Uint32Array(N);
  private pos = N;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be an integer in [0, 2**32 - 1] as NumPy requires, received ${seed}`);
    let s = seed >>> 0;
    for (let i = 0; i < N; i++) {
      this.key[i] = s;
      // (1812433253 * (s ^ (s >>> 30)) + i + 1) mod 2**32, without losing bits to float rounding.
      s = (Math.imul(1812433253, (s ^ (s >>> 30)) >>> 0) + i + 1) >>> 0;
    }
  }

  private generate(): void {
    const k = this.key;
    for (let i = 0; i < N; i++) {
      const y = (k[i] & 0x80000000) | (k[(i + 1) % N] & 0x7fffffff);
      k[i] = k[(i + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.pos = 0;
  }

  nextUint32(): number {
    if (this.pos >= N) this.generate();
    let y = this.key[this.pos++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** NumPy's random_interval(max): a uniform integer in [0, max], by masking and rejection. */
  interval(max: number): number {
    if (max === 0) return 0;
    if (max > 0xffffffff) throw new Error(`interval: ${max} is beyond 32 bits`);
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let value: number;
    do value = (this.nextUint32() & mask) >>> 0;
    while (value > max);
    return value;
  }
}

/** Shuffles `items` in place exactly as `np.random.RandomState(seed).shuffle(items)`. */
export function numpyShuffle<T>(items: T[], seed: number): T[] {
  const rng = new MT19937(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.interval(i);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

package minitron.transformer.data;

/**
 * SplitMix64 (Steele, Lea, Flood 2014): a tiny generator fully specified here, so that shuffles are the same on
 * every JDK (java.util.Random's algorithm is specified too, but this one has 64-bit state and good mixing).
 */
final class SplitMix64 {
    private long state;

    SplitMix64(long seed) {
        this.state = seed;
    }

    long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, bound), by rejection (no modulo bias). */
    int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive, got " + bound);
        // skip = 2^64 mod bound; the top `skip` values of the 64-bit range are rejected, so each residue is
        // equally likely.
        long skip = (Long.remainderUnsigned(-1L, bound) + 1) % bound;
        while (true) {
            long r = nextLong();
            if (Long.compareUnsigned(r, -1L - skip) <= 0) {
                return (int) Long.remainderUnsigned(r, bound);
            }
        }
    }

    /** Fisher-Yates shuffle of 0..n-1 seeded by {@code seed}: the same permutation everywhere. */
    static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        SplitMix64 rng = new SplitMix64(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}

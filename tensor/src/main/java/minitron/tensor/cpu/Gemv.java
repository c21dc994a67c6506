package minitron.tensor.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.DType;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;

/**
 * Matrix products with a few rows of a (decode: one token at a time; a short prompt), where the time is spent
 * streaming b from memory once; packing b as {@link Gemm} does would read it twice. Same contract as
 * {@link Gemm#matmul}.
 *
 * <p>Shape legend: B batch, M rows (at most {@link #MAX_ROWS}), K contracted axis, N output columns.
 * Two layouts of b are streamed directly, from heap arrays or off-heap (memory-mapped) segments alike:
 * <ul>
 *   <li>transposed-contiguous: b (K, N) is the view W^T of an HF weight W (N, K), strides (1, K): each output
 *       out[i, j] = dot(a[i, :], W[j, :]) reads one contiguous row of W. Up to {@link #MAX_ROWS} rows of a
 *       reuse the W row from L1. Contiguous BF16 rows of K <= 2048 are read into the cache block by block before
 *       four-row products (see {@link #touch}); longer ones, and for one row of a those longer than 1024, are
 *       multiplied in pairs taken from the two halves of W, row j with row j + N/2, so that each core reads two
 *       sequential streams (see {@link #pairedRows}).
 *       BF16 rows are widened in registers: 2L shorts reinterpreted as L int
 *       lanes hold pairs (w[2q] in the low half, w[2q+1] in the high half); the float w[2q] is lane << 16 and
 *       w[2q+1] is lane & 0xFFFF0000, which pair with a's even and odd elements (split once per call). No conversion
 *       instructions: two integer ops per 2L weights. F16 pairs are widened in registers too (see
 *       {@link #dotF16}).</li>
 *   <li>row-major, M == 1, F32 or BF16: out[0, j] = sum_p a[0, p] * b[p, j], a broadcast-FMA over rows of b.</li>
 * </ul>
 * Work is split over the N outputs on {@link Parallel}'s pool, claimed dynamically in runs of rows. Each output is
 * one thread's dot product whose lanes are summed by {@link DeterministicLanes#treeSum}, so a call gives the same
 * bits whether C2 has compiled it or not (the Vector API's reduceLanes does not).
 */
public final class Gemv {
    /**
     * The most rows of a handled here; more go to the packed GEMM. Each row of a costs one more pass over the W
     * block in L1 (~8 ms per row for a 1B model's 1.24 G weights on two cores), against the GEMM's packing of all
     * of W (~230 ms) and its cheaper per-row cost: a short prompt's forward on a 1B model, two threads, M = 5 / 8 /
     * 12 / 16 / 24 / 32: 123-142 / 156-196 / 192-213 / 213-259 / 316-336 / 363-416 ms here against 228-233 /
     * 244-253 / 225-248 / 250-258 / 274-281 / 332-344 in the GEMM (docs/perf-gemm.md, "Short prompts").
     */
    public static final int MAX_ROWS = 16;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    /** Shorts filling one float vector: 2L BF16 values, seen as L int lanes of pairs. */
    private static final VectorSpecies<Short> S2 = ShortVector.SPECIES_PREFERRED;
    /** Half-width shorts: L of them widen to one float vector of L lanes. */
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_PREFERRED.withShape(
            VectorShape.forBitSize(FloatVector.SPECIES_PREFERRED.vectorBitSize() / 2));
    private static final int L = F.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Rows of W per F32 dot-product block: one x vector load feeds four rows (34 vs 27 GB/s from DRAM, measured). */
    private static final int W_ROWS = 4;
    /**
     * Longest BF16 row read four rows at a time, sharing each x load ({@link #dotFourBf16}): contiguous rows after
     * {@link #touch} has read the block (32 KB, {@link #TOUCH_BYTES}) into the cache (for one row of x only up to
     * {@link #PAIRED_BF16_ABOVE_K}), rows of a strided W without it. At K = 4096 four rows (without touch) ran at
     * 33 vs 40-41 GB/s for one row on two threads (docs/perf-gemm.md, branch gemv3).
     */
    private static final int FOUR_ROW_BF16_MAX_K = 2048;
    /**
     * For one row of x (decoding), contiguous BF16 rows longer than this go in pairs from the two halves of W
     * ({@link #pairedRows}); shorter ones are read in bursts before four-row products ({@link #touch}), and so are
     * rows up to {@link #FOUR_ROW_BF16_MAX_K} for several rows of x (a short prompt), where each x load feeding four
     * rows counts more than the second stream: 5- and 16-token prompts of a 1B model 15% slower in pairs (33.8-34.4
     * and 53.7-54.0 tokens/s against 38.8-43.4 and 62.1-69.4). Pairs against bursts for one row, two threads,
     * alternated call by call, twelve rounds each: K = 2048 36.6-40.7 -> 39.0-42.4 GB/s (faster in 11-12 of 12
     * rounds, four runs), 1536 35.4-35.8 -> 37.3-37.6 (11 of 12), 1024 24.3 / 28.6 -> 25.4 / 28.9 (even).
     */
    private static final int PAIRED_BF16_ABOVE_K = 1024;
    /**
     * Longest BF16 row whose one-row products read x from aligned off-heap memory ({@link #dotBf16AlignedX}: a row
     * without a partner in {@link #pairedRows}, or rows of W that are not contiguous); in pairedRows, longer rows
     * are read side by side before their products.
     */
    private static final int ALIGNED_X_MAX_K = 6144;
    /**
     * Bytes of contiguous BF16 rows (K <= FOUR_ROW_BF16_MAX_K) that {@link #touch} reads before their products:
     * 32 KB, which with x's halves still fits the 48 KB L1d of a Zen 5 core. Against 16 KB (four rows at K = 2048):
     * decode-order GEMVs of a 1B model 5-11% faster on two threads, 9% on one, and K = 1024 48.7-50.0 vs 36.6-36.7
     * GB/s; 64 KB was slower than either (docs/perf-gemm.md, "Bursts of 32 KB").
     */
    private static final int TOUCH_BYTES = 32 << 10;
    /**
     * Threads claim runs of consecutive rows from a shared counter, about 1/CLAIMS_PER_THREAD of their share at a
     * time: the longer a run, the longer each core's read streams stay sequential, and the few claims left at the
     * end still balance the work when another process holds a core. Against fixed claims of 64 rows, switched step
     * by step in one JVM: whole decode steps of the 1B model 61.5-63.0 -> 58.6-59.4 ms, its decode-order GEMVs over
     * the mapped checkpoint 60.4-64.9 -> 57.0-61.7 (2, 4 or 8 claims per thread alike), (128256, 2048) 41.8 ->
     * 45.5-46.4 GB/s, (131072, 1024) 38-40 -> 40-43 (docs/perf-gemm.md, "Longer claims").
     */
    private static final int CLAIMS_PER_THREAD = 4;
    /**
     * The unit of a claim of four-row blocks, and the smallest: 16 blocks, 64 rows, a multiple of every burst of
     * {@link #touch}, so that a claim starts where a burst does. At most MAX_CLAIM_UNITS of them (1024 rows).
     */
    private static final int CLAIM = 16, MAX_CLAIM_UNITS = 16;
    /** Smallest and largest claim of row pairs in {@link #pairedRows} (64 and 2048 rows; above ~256 pairs it is flat). */
    private static final int MIN_PAIR_CLAIM = 32, MAX_PAIR_CLAIM = 1024;
    /** Output columns per task of the row-major path. */
    private static final int COLUMN_BLOCK = 4 * L;

    private Gemv() {
    }

    /** Per-thread copies of the rows of a: x (M, K) and, for BF16 b, its even and odd elements. */
    private static final class Scratch {
        float[] x = new float[0];
        /**
         * x's even and odd elements, row i at float index i * half(k): off-heap and 64-byte aligned, so that each
         * vector load of them reads one cache line (a float[]'s elements are only 8-byte aligned, and most 64-byte
         * loads from it touch two: one Zen 5 core, W in the cache, BF16 row loop 91 -> 116 GB/s aligned).
         */
        MemorySegment xLow = MemorySegment.NULL;
        MemorySegment xHigh = MemorySegment.NULL;
        /**
         * The same values in heap arrays, for {@link #dotFourBf16} (each x load feeds four rows there, and the
         * aligned copies made no measurable difference: decode-order GEMVs of a 1B model 68.6-69.9 vs 68.4-69.6 ms
         * per step), for rows longer than ALIGNED_X_MAX_K, and for F16.
         */
        float[] xLowArray = new float[0];
        float[] xHighArray = new float[0];
        float[] row = new float[0];
        short[] shorts = new short[0];
        /** Accumulates {@link #touch}'s results, so that its loads stay. */
        int touchSink;

        void ensure(int m, int k) {
            if (x.length < m * k) x = new float[m * k];
            long halfBytes = 4L * m * half(k);
            if (xLow.byteSize() < halfBytes) {
                Arena arena = Arena.ofAuto(); // freed with this Scratch
                xLow = arena.allocate(halfBytes, 64);
                xHigh = arena.allocate(halfBytes, 64);
                xLowArray = new float[(int) (halfBytes / 4)];
                xHighArray = new float[(int) (halfBytes / 4)];
            }
            if (row.length < k) {
                row = new float[k];
                shorts = new short[k];
            }
        }
    }

    /** Floats per row of Scratch.xLow / xHigh: k / 2 pairs, a spare, rounded up to whole vectors (64 bytes). */
    private static int half(int k) {
        return Gemm.ceilDiv(k / 2 + 1, L) * L;
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** True when this class streams b of this layout for a of m rows (row-major F16 is left to the GEMM). */
    static boolean supports(Tensor b, int m) {
        return isTransposedContiguous(b) || (m == 1 && b.stride(-1) == 1 && b.dtype() != DType.F16);
    }

    private static boolean isTransposedContiguous(Tensor b) {
        return b.stride(-2) == 1 && b.dim(-1) > 1;
    }

    static void matmul(Tensor a, Tensor b, Tensor out, int batches) {
        int m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
        float[] c = out.heapFloats();
        int cBase = (int) out.offset();
        if (isTransposedContiguous(b)) {
            long ldw = b.stride(-1);
            boolean paired = k > FOUR_ROW_BF16_MAX_K || m == 1 && k > PAIRED_BF16_ABOVE_K;
            if (b.dtype() == DType.BF16 && ldw == k && paired) {
                pairedRows(a, b, m, k, n, c, cBase, batches);
                return;
            }
            boolean split = b.dtype().isHalf();
            // Items are (batch, block of W_ROWS rows of W); threads claim runs of consecutive items from a
            // shared counter (balanced even when a core is shared with another process; sequential within a run).
            int blocks = Gemm.ceilDiv(n, W_ROWS);
            int items = batches * blocks;
            AtomicInteger next = new AtomicInteger();
            int poolThreads = Gemm.poolThreadsFor(a, b);
            int claim = CLAIM * Math.clamp(items / (poolThreads * CLAIMS_PER_THREAD * CLAIM), 1, MAX_CLAIM_UNITS);
            int threads = Math.min(poolThreads, Gemm.ceilDiv(items, claim));
            Parallel.forRange(threads, 1, (first, last) -> {
                Scratch s = SCRATCH.get();
                s.ensure(m, k);
                int loadedBatch = -1;
                long wBase = 0;
                for (int start = next.getAndAdd(claim); start < items; start = next.getAndAdd(claim)) {
                    for (int item = start; item < Math.min(items, start + claim); item++) {
                        int batch = item / blocks, j0 = (item % blocks) * W_ROWS;
                        if (batch != loadedBatch) {
                            loadRows(a, batch, m, k, split, s);
                            loadedBatch = batch;
                            wBase = Gemm.batchBase(b, batch);
                        }
                        int rows = Math.min(W_ROWS, n - j0);
                        long touchBytes = touchBytes(b, k, ldw, j0, n);
                        if (touchBytes > 0) s.touchSink += touch(b.data(), (wBase + j0 * ldw) * 2, touchBytes);
                        for (int i = 0; i < m; i++) {
                            int cAt = cBase + (batch * m + i) * n + j0;
                            if (rows == W_ROWS) {
                                dotFourRows(b, wBase + j0 * ldw, ldw, k, i, s, c, cAt);
                            } else {
                                for (int r = 0; r < rows; r++) {
                                    c[cAt + r] = dotRow(b, wBase + (j0 + r) * ldw, k, i, s);
                                }
                            }
                        }
                    }
                }
            });
        } else {
            int blocks = Gemm.ceilDiv(n, COLUMN_BLOCK);
            int grain = Gemm.poolThreadsFor(a, b) == 1 ? Integer.MAX_VALUE : 1;
            Parallel.forRange(batches * blocks, grain, (start, end) -> {
                Scratch s = SCRATCH.get();
                s.ensure(1, k);
                int loadedBatch = -1;
                for (int item = start; item < end; item++) {
                    int batch = item / blocks, j0 = (item % blocks) * COLUMN_BLOCK;
                    if (batch != loadedBatch) {
                        loadRows(a, batch, 1, k, false, s);
                        loadedBatch = batch;
                    }
                    int j1 = Math.min(n, j0 + COLUMN_BLOCK);
                    rowMajorBlock(b, Gemm.batchBase(b, batch), k, j0, j1, s.x, c, cBase + batch * n);
                }
            });
        }
    }

    /**
     * Contiguous BF16 rows longer than {@link #FOUR_ROW_BF16_MAX_K} (for one row of a, {@link #PAIRED_BF16_ABOVE_K}),
     * in pairs: row j with row j + h of the same batch (h = ceil(N / 2); with N odd, row h - 1 goes alone), multiplied
     * together by {@link #dotTwoBf16}. Each thread then reads two sequential streams, one in each half of W, and every
     * x load feeds two rows. A core streams more with two sequential streams than with one (a plain vector read, one
     * thread: 29-30 -> 33-39 GB/s). Alternated call by call against the one-row loop with aligned x, two threads,
     * twelve rounds each: (14336, 4096) 40.5 -> 45.1 GB/s (0.82 -> 0.91 of the copy, faster in 12 of 12 rounds), (4096,
     * 14336) 40.5 -> 42.9 (12 of 12), (16384, 8192), where adjacent rows were already read in pairs, 38.3 -> 38.5. Rows
     * longer than {@link #ALIGNED_X_MAX_K} read both rows first, side by side ({@link #touchPair}). At K = 2048 the
     * pairs beat the bursts of {@link #touch} with four-row products by 4-10% for one row of a (see
     * PAIRED_BF16_ABOVE_K), while bursts read from both halves side by side did not (39.9 against 40.4). Pairs of
     * adjacent rows had been a trade between the VM's memory states at K = 4096 (docs/perf-gemm.md, "Two streams").
     */
    private static void pairedRows(Tensor a, Tensor b, int m, int k, int n, float[] c, int cBase, int batches) {
        int h = Gemm.ceilDiv(n, 2);
        long distance = (long) h * k;                   // elements from row j to its partner j + h
        int items = batches * h;                        // (batch, j), j < h
        int poolThreads = Gemm.poolThreadsFor(a, b);
        int claim = Math.clamp(items / (poolThreads * CLAIMS_PER_THREAD), MIN_PAIR_CLAIM, MAX_PAIR_CLAIM);
        AtomicInteger next = new AtomicInteger();
        int threads = Math.min(poolThreads, Gemm.ceilDiv(items, claim));
        MemorySegment seg = b.data();
        Parallel.forRange(threads, 1, (first, last) -> {
            Scratch s = SCRATCH.get();
            s.ensure(m, k);
            int loadedBatch = -1;
            long wBase = 0;
            for (int start = next.getAndAdd(claim); start < items; start = next.getAndAdd(claim)) {
                for (int item = start; item < Math.min(items, start + claim); item++) {
                    int batch = item / h, j = item % h;
                    if (batch != loadedBatch) {
                        loadRows(a, batch, m, k, true, s);
                        loadedBatch = batch;
                        wBase = Gemm.batchBase(b, batch);
                    }
                    long w = wBase + (long) j * k;
                    boolean partner = j + h < n;
                    if (partner && k > ALIGNED_X_MAX_K) {
                        s.touchSink += touchPair(seg, w * 2, (w + distance) * 2, 2L * k);
                    }
                    for (int i = 0; i < m; i++) {
                        int cAt = cBase + (batch * m + i) * n + j;
                        if (partner) {
                            dotTwoBf16(seg, w, w + distance, s.x, i * k, s.xLowArray, s.xHighArray, i * half(k), k,
                                    c, cAt, cAt + h);
                        } else {
                            c[cAt] = dotRow(b, w, k, i, s);
                        }
                    }
                }
            }
        });
    }

    /**
     * {@link #touch} of two ranges of {@code bytes} at once, one 64-byte vector of each in turn, so that both are
     * read as sequential streams side by side (two halves of one burst read that way were slower than one stream).
     */
    static int touchPair(MemorySegment seg, long aOffset, long bOffset, long bytes) {
        ShortVector s0 = ShortVector.zero(S2), s1 = s0, s2 = s0, s3 = s0;
        long step = S2.vectorByteSize();
        long both = bytes / (2 * step) * (2 * step);
        for (long at = 0; at < both; at += 2 * step) {
            s0 = s0.add(ShortVector.fromMemorySegment(S2, seg, aOffset + at, ORDER));
            s1 = s1.add(ShortVector.fromMemorySegment(S2, seg, bOffset + at, ORDER));
            s2 = s2.add(ShortVector.fromMemorySegment(S2, seg, aOffset + at + step, ORDER));
            s3 = s3.add(ShortVector.fromMemorySegment(S2, seg, bOffset + at + step, ORDER));
        }
        int rest = touch(seg, aOffset + both, bytes - both) + touch(seg, bOffset + both, bytes - both);
        return s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD) + rest;
    }

    /** Copies the m rows of a[batch] into s.x (m, K) and, when split, their even/odd elements into xLow/xHigh. */
    private static void loadRows(Tensor a, int batch, int m, int k, boolean split, Scratch s) {
        long base = Gemm.batchBase(a, batch);
        int half = half(k);
        for (int i = 0; i < m; i++) {
            Gemm.readRun(a, base + i * a.stride(-2), a.stride(-1), k, s.row, s.shorts);
            System.arraycopy(s.row, 0, s.x, i * k, k);
            if (split) {
                // The first BF16 of a pair sits in the low half of an int lane after ShortVector.reinterpretAsInts
                // (the Vector API defines reinterpretation by little-endian lane order), so xLow holds the even
                // elements and xHigh the odd ones.
                for (int q = 0; q < k / 2; q++) {
                    s.xLowArray[i * half + q] = s.row[2 * q];
                    s.xHighArray[i * half + q] = s.row[2 * q + 1];
                }
                if (k <= ALIGNED_X_MAX_K) { // the aligned copies that dotBf16AlignedX reads
                    long at = 4L * i * half;
                    MemorySegment.copy(s.xLowArray, i * half, s.xLow, ValueLayout.JAVA_FLOAT, at, k / 2);
                    MemorySegment.copy(s.xHighArray, i * half, s.xHigh, ValueLayout.JAVA_FLOAT, at, k / 2);
                }
            }
        }
    }

    /**
     * Bytes that the block of W rows from j0 reads into the cache before its products ({@link #touch}): for
     * contiguous BF16 rows read four at a time, a burst of TOUCH_BYTES of whole rows starts at every
     * (TOUCH_BYTES / row bytes)-th row (at most one claim of rows, and no further than row n); 0 elsewhere.
     */
    private static long touchBytes(Tensor b, int k, long ldw, int j0, int n) {
        if (b.dtype() != DType.BF16 || k > FOUR_ROW_BF16_MAX_K || ldw != k || n - j0 < W_ROWS) return 0;
        int burstRows = Math.clamp(TOUCH_BYTES / (2L * k) / W_ROWS * W_ROWS, W_ROWS, CLAIM * W_ROWS);
        return j0 % burstRows == 0 ? (long) Math.min(burstRows, n - j0) * 2 * k : 0;
    }

    /** c[cAt + r] = dot(x row i, W row r) for the four W rows starting at element offsets w + r * ldw. */
    private static void dotFourRows(Tensor b, long w, long ldw, int k, int i, Scratch s, float[] c, int cAt) {
        MemorySegment seg = b.data();
        switch (b.dtype()) {
            case F32 -> dotFourF32(seg, w, ldw, s.x, i * k, k, c, cAt);
            case BF16 -> {
                if (k <= FOUR_ROW_BF16_MAX_K) {
                    dotFourBf16(seg, w, ldw, s.x, i * k, s.xLowArray, s.xHighArray, i * half(k), k, c, cAt);
                } else {
                    for (int r = 0; r < W_ROWS; r++) c[cAt + r] = dotRow(b, w + r * ldw, k, i, s);
                }
            }
            default -> {
                // F16 one row at a time (the block read of touch was not measured for it).
                for (int r = 0; r < W_ROWS; r++) c[cAt + r] = dotRow(b, w + r * ldw, k, i, s);
            }
        }
    }

    private static void dotFourF32(MemorySegment seg, long w, long ldw, float[] x, int xOff, int k,
                                   float[] c, int cAt) {
        long b0 = w * 4, b1 = (w + ldw) * 4, b2 = (w + 2 * ldw) * 4, b3 = (w + 3 * ldw) * 4;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int p = 0;
        for (; p <= k - L; p += L) {
            FloatVector xp = FloatVector.fromArray(F, x, xOff + p);
            long at = p * 4L;
            acc0 = FloatVector.fromMemorySegment(F, seg, b0 + at, ORDER).fma(xp, acc0);
            acc1 = FloatVector.fromMemorySegment(F, seg, b1 + at, ORDER).fma(xp, acc1);
            acc2 = FloatVector.fromMemorySegment(F, seg, b2 + at, ORDER).fma(xp, acc2);
            acc3 = FloatVector.fromMemorySegment(F, seg, b3 + at, ORDER).fma(xp, acc3);
        }
        float s0 = DeterministicLanes.treeSum(acc0), s1 = DeterministicLanes.treeSum(acc1);
        float s2 = DeterministicLanes.treeSum(acc2), s3 = DeterministicLanes.treeSum(acc3);
        for (; p < k; p++) {
            float xv = x[xOff + p];
            s0 += seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, w + p) * xv;
            s1 += seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, w + ldw + p) * xv;
            s2 += seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, w + 2 * ldw + p) * xv;
            s3 += seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, w + 3 * ldw + p) * xv;
        }
        c[cAt] = s0;
        c[cAt + 1] = s1;
        c[cAt + 2] = s2;
        c[cAt + 3] = s3;
    }

    /**
     * c[c0] = dot(x row, BF16 W row at element offset w0) and c[c1] the same for the row at w1 (see
     * {@link #pairedRows}): each xLow and xHigh load feeds both rows, two vectors of pairs per step (8
     * accumulators). With x's halves (32 KB at K = 8192) and a 16 KB row the one-row loop no longer fits x and W in
     * L1, and it lost to C's equivalent by 13-35%; this loop over adjacent rows, after reading the pair, against
     * it, two threads, alternated runs: K = 8192 32.8-41.5 -> 37.0-47.5 GB/s, K = 14336 39.2-40.4 -> 46.9-48.7;
     * one thread at 8192 19.2-20.8 -> 23.6-26.4 (docs/perf-gemm.md, "Two long rows at a time").
     */
    private static void dotTwoBf16(MemorySegment seg, long w0, long w1, float[] x, int xOff, float[] xLow,
                                   float[] xHigh, int hOff, int k, float[] c, int c0, int c1) {
        long b0 = w0 * 2, b1 = w1 * 2;
        int pairs = k / 2;
        FloatVector lo0 = FloatVector.zero(F), hi0 = lo0, lo1 = lo0, hi1 = lo0;
        FloatVector lo2 = lo0, hi2 = lo0, lo3 = lo0, hi3 = lo0;
        int q = 0;
        for (; q <= pairs - 2 * L; q += 2 * L) {
            FloatVector xl = FloatVector.fromArray(F, xLow, hOff + q);
            FloatVector xh = FloatVector.fromArray(F, xHigh, hOff + q);
            FloatVector yl = FloatVector.fromArray(F, xLow, hOff + q + L);
            FloatVector yh = FloatVector.fromArray(F, xHigh, hOff + q + L);
            long at = q * 4L;
            IntVector v0 = ShortVector.fromMemorySegment(S2, seg, b0 + at, ORDER).reinterpretAsInts();
            IntVector v1 = ShortVector.fromMemorySegment(S2, seg, b1 + at, ORDER).reinterpretAsInts();
            IntVector u0 = ShortVector.fromMemorySegment(S2, seg, b0 + at + 4L * L, ORDER).reinterpretAsInts();
            IntVector u1 = ShortVector.fromMemorySegment(S2, seg, b1 + at + 4L * L, ORDER).reinterpretAsInts();
            lo0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xl, lo0);
            hi0 = v0.and(0xFFFF0000).reinterpretAsFloats().fma(xh, hi0);
            lo1 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xl, lo1);
            hi1 = v1.and(0xFFFF0000).reinterpretAsFloats().fma(xh, hi1);
            lo2 = u0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(yl, lo2);
            hi2 = u0.and(0xFFFF0000).reinterpretAsFloats().fma(yh, hi2);
            lo3 = u1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(yl, lo3);
            hi3 = u1.and(0xFFFF0000).reinterpretAsFloats().fma(yh, hi3);
        }
        float s0 = DeterministicLanes.treeSum(lo0.add(hi0).add(lo2.add(hi2)));
        float s1 = DeterministicLanes.treeSum(lo1.add(hi1).add(lo3.add(hi3)));
        for (int p = 2 * q; p < k; p++) { // fewer than 2L pairs left, and an odd last element
            float xv = x[xOff + p];
            s0 += bf16(seg, w0 + p) * xv;
            s1 += bf16(seg, w1 + p) * xv;
        }
        c[c0] = s0;
        c[c1] = s1;
    }

    /**
     * c[cAt + r] = dot(x row, BF16 W row r) for the four W rows at element offsets w + r * ldw: one xLow and one
     * xHigh load feed the four rows (pairs widened as in {@link #dotBf16}).
     */
    private static void dotFourBf16(MemorySegment seg, long w, long ldw, float[] x, int xOff, float[] xLow,
                                    float[] xHigh, int hOff, int k, float[] c, int cAt) {
        long b0 = w * 2, b1 = (w + ldw) * 2, b2 = (w + 2 * ldw) * 2, b3 = (w + 3 * ldw) * 2;
        int pairs = k / 2;
        FloatVector lo0 = FloatVector.zero(F), hi0 = lo0, lo1 = lo0, hi1 = lo0;
        FloatVector lo2 = lo0, hi2 = lo0, lo3 = lo0, hi3 = lo0;
        int q = 0;
        for (; q <= pairs - L; q += L) {
            FloatVector xl = FloatVector.fromArray(F, xLow, hOff + q);
            FloatVector xh = FloatVector.fromArray(F, xHigh, hOff + q);
            long at = q * 4L;
            IntVector v0 = ShortVector.fromMemorySegment(S2, seg, b0 + at, ORDER).reinterpretAsInts();
            IntVector v1 = ShortVector.fromMemorySegment(S2, seg, b1 + at, ORDER).reinterpretAsInts();
            IntVector v2 = ShortVector.fromMemorySegment(S2, seg, b2 + at, ORDER).reinterpretAsInts();
            IntVector v3 = ShortVector.fromMemorySegment(S2, seg, b3 + at, ORDER).reinterpretAsInts();
            lo0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xl, lo0);
            hi0 = v0.and(0xFFFF0000).reinterpretAsFloats().fma(xh, hi0);
            lo1 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xl, lo1);
            hi1 = v1.and(0xFFFF0000).reinterpretAsFloats().fma(xh, hi1);
            lo2 = v2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xl, lo2);
            hi2 = v2.and(0xFFFF0000).reinterpretAsFloats().fma(xh, hi2);
            lo3 = v3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xl, lo3);
            hi3 = v3.and(0xFFFF0000).reinterpretAsFloats().fma(xh, hi3);
        }
        float s0 = DeterministicLanes.treeSum(lo0.add(hi0)), s1 = DeterministicLanes.treeSum(lo1.add(hi1));
        float s2 = DeterministicLanes.treeSum(lo2.add(hi2)), s3 = DeterministicLanes.treeSum(lo3.add(hi3));
        for (int p = 2 * q; p < k; p++) {
            float xv = x[xOff + p];
            s0 += bf16(seg, w + p) * xv;
            s1 += bf16(seg, w + ldw + p) * xv;
            s2 += bf16(seg, w + 2 * ldw + p) * xv;
            s3 += bf16(seg, w + 3 * ldw + p) * xv;
        }
        c[cAt] = s0;
        c[cAt + 1] = s1;
        c[cAt + 2] = s2;
        c[cAt + 3] = s3;
    }

    /**
     * Reads {@code bytes} bytes of seg from byteOffset (whole vectors; a shorter tail is left) and returns a sum
     * of them that means nothing: the caller keeps it so that the loads are not removed. Its purpose is to bring
     * a block of W into the cache in one plain sequential burst before the products run over it. One core does
     * not overlap DRAM misses with the product loop (from the cache the four-row BF16 loop runs at ~115 GB/s, from
     * DRAM at 19-25 while this loop reads DRAM at 30-40), and four rows streamed side by side are slower than one.
     * Reading 16 KB first, then multiplying from L1: K = 2048, W 134 MB, 28-29 GB/s against 21 on one Zen 5 core,
     * 41 against 32-35 on two; bursts of 32 KB ({@link #TOUCH_BYTES}) gained 5-11% more. At K = 4096 (one row
     * streamed at a time) bursts lost: 24-37 against 48-50 GB/s on two cores in the same minutes; rows longer
     * than {@link #ALIGNED_X_MAX_K} are read a pair at a time ({@link #touchPair}) before {@link #dotTwoBf16}
     * (docs/perf-gemm.md, "Read the block, then multiply", "Bursts of 32 KB", "Two long rows at a time" and "Two
     * streams").
     */
    static int touch(MemorySegment seg, long byteOffset, long bytes) {
        ShortVector s0 = ShortVector.zero(S2), s1 = s0, s2 = s0, s3 = s0;
        long step = S2.vectorByteSize();
        long at = byteOffset, end = byteOffset + bytes;
        for (; at <= end - 4 * step; at += 4 * step) {
            s0 = s0.add(ShortVector.fromMemorySegment(S2, seg, at, ORDER));
            s1 = s1.add(ShortVector.fromMemorySegment(S2, seg, at + step, ORDER));
            s2 = s2.add(ShortVector.fromMemorySegment(S2, seg, at + 2 * step, ORDER));
            s3 = s3.add(ShortVector.fromMemorySegment(S2, seg, at + 3 * step, ORDER));
        }
        return s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
    }

    private static float bf16(MemorySegment seg, long index) {
        return Float.intBitsToFloat(seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, index) << 16);
    }

    /** dot(x row i, W row starting at element offset w) over k elements. */
    private static float dotRow(Tensor b, long w, int k, int i, Scratch s) {
        MemorySegment seg = b.data();
        return switch (b.dtype()) {
            case F32 -> dotF32(seg, w, s.x, i * k, k);
            case BF16 -> k <= ALIGNED_X_MAX_K
                    ? dotBf16AlignedX(seg, w, s.x, i * k, s.xLow, s.xHigh, i * half(k), k)
                    : dotBf16(seg, w, s.x, i * k, s.xLowArray, s.xHighArray, i * half(k), k);
            case F16 -> dotF16(seg, w, s.x, i * k, s.xLowArray, s.xHighArray, i * half(k), k);
            default -> throw new IllegalArgumentException("Gemv: unsupported weight dtype " + b.dtype());
        };
    }

    private static float dotF32(MemorySegment seg, long w, float[] x, int xOff, int k) {
        long byteOff = w * 4;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0, acc2 = acc0, acc3 = acc0;
        int p = 0;
        for (; p <= k - 4 * L; p += 4 * L) {
            long at = byteOff + p * 4L;
            int xi = xOff + p;
            FloatVector w0 = FloatVector.fromMemorySegment(F, seg, at, ORDER);
            FloatVector w1 = FloatVector.fromMemorySegment(F, seg, at + 4L * L, ORDER);
            FloatVector w2 = FloatVector.fromMemorySegment(F, seg, at + 8L * L, ORDER);
            FloatVector w3 = FloatVector.fromMemorySegment(F, seg, at + 12L * L, ORDER);
            acc0 = w0.fma(FloatVector.fromArray(F, x, xi), acc0);
            acc1 = w1.fma(FloatVector.fromArray(F, x, xi + L), acc1);
            acc2 = w2.fma(FloatVector.fromArray(F, x, xi + 2 * L), acc2);
            acc3 = w3.fma(FloatVector.fromArray(F, x, xi + 3 * L), acc3);
        }
        float sum = DeterministicLanes.treeSum(acc0.add(acc1).add(acc2.add(acc3)));
        for (; p < k; p++) sum += seg.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, w + p) * x[xOff + p];
        return sum;
    }

    /**
     * dot(x row, BF16 W row at element offset w). Per step: 2L shorts loaded and reinterpreted as L int lanes of
     * pairs (the Vector API defines reinterpretation in little-endian lane order on every platform, so the first
     * BF16 of a pair is in the low half); lane << 16 is the first as a float, lane & 0xFFFF0000 the second.
     * Written out in the loop on purpose: helpers taking or returning vectors are boxed when C2 does not inline
     * them (seen as a 4x slowdown), and one load path only (a branch between two loads boxed them too).
     * Kept over the alternatives measured against it on one Zen 5 core (same JVM, rounds interleaved, off-heap W of
     * 117 MB, K = 2048 / 4096 / 8192, GB/s): this loop 18-19 / 20-24 / 21-23; L shorts widened by convertShape(S2I)
     * and shifted, x in natural order, 8 accumulators over 256 bytes, 17-18 / 22-30 / 15-16 (wins only at 4096);
     * the same with 4 accumulators 16-17 / 18-25 / 16; this loop with 8 accumulators 18 / 13-19 / 19; xLow and
     * xHigh interleaved in one array 16 / 19 / 19; 2 or 4 rows sharing the x loads 15-22 at 4096; a scalar touch
     * 2-8 KB ahead 15-20 at 4096; a per-row asSlice or a global segment at 4096 no change (docs/perf-gemm.md).
     */
    private static float dotBf16(MemorySegment seg, long w, float[] x, int xOff, float[] xLow, float[] xHigh,
                                 int hOff, int k) {
        long byteOff = w * 2;
        int pairs = k / 2;
        FloatVector lo0 = FloatVector.zero(F), hi0 = lo0, lo1 = lo0, hi1 = lo0;
        int q = 0;
        for (; q <= pairs - 2 * L; q += 2 * L) {
            IntVector v0 = ShortVector.fromMemorySegment(S2, seg, byteOff + q * 4L, ORDER).reinterpretAsInts();
            IntVector v1 = ShortVector.fromMemorySegment(S2, seg, byteOff + (q + L) * 4L, ORDER).reinterpretAsInts();
            FloatVector first0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector second0 = v0.and(0xFFFF0000).reinterpretAsFloats();
            FloatVector first1 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector second1 = v1.and(0xFFFF0000).reinterpretAsFloats();
            lo0 = first0.fma(FloatVector.fromArray(F, xLow, hOff + q), lo0);
            hi0 = second0.fma(FloatVector.fromArray(F, xHigh, hOff + q), hi0);
            lo1 = first1.fma(FloatVector.fromArray(F, xLow, hOff + q + L), lo1);
            hi1 = second1.fma(FloatVector.fromArray(F, xHigh, hOff + q + L), hi1);
        }
        for (; q <= pairs - L; q += L) {
            IntVector v0 = ShortVector.fromMemorySegment(S2, seg, byteOff + q * 4L, ORDER).reinterpretAsInts();
            FloatVector first0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector second0 = v0.and(0xFFFF0000).reinterpretAsFloats();
            lo0 = first0.fma(FloatVector.fromArray(F, xLow, hOff + q), lo0);
            hi0 = second0.fma(FloatVector.fromArray(F, xHigh, hOff + q), hi0);
        }
        float sum = DeterministicLanes.treeSum(lo0.add(hi0).add(lo1.add(hi1)));
        for (int p = 2 * q; p < k; p++) sum += bf16(seg, w + p) * x[xOff + p];
        return sum;
    }

    /**
     * {@link #dotBf16} with x's halves read from the 64-byte-aligned segments of {@link Scratch}: one cache line per
     * x load instead of two. Used up to {@link #ALIGNED_X_MAX_K} columns, where it was measured faster (one core,
     * W from DRAM, GB/s: K = 4096 26-28 vs 21-22, 6144 21 vs 20); at K = 8000-14336 the same loop ran at 12-15
     * against 20-24 for the heap arrays, which we have not explained (a stand-alone copy of the loop was faster
     * with aligned x at K = 8192 too: 25 vs 22).
     *
     * <p>The x offsets are int sums widened to long ({@code 4L * (hOff + q)}), so C2 keeps a range check on each x
     * load and does not unroll the loop (19 instructions per 128 bytes of W, read in the disassembly). With long
     * offsets ({@code xAt + 4L * q}) the checks go and C2 unrolls it four times, and that loop streamed W from
     * DRAM 19% slower ((14336, 4096), one thread, eight alternated runs: 21.5-24.4 against 27.6-30.7 GB/s), so the
     * form stays (docs/perf-gemm.md, "What C2 makes of the GEMV loops").
     */
    private static float dotBf16AlignedX(MemorySegment seg, long w, float[] x, int xOff, MemorySegment xLow,
                                         MemorySegment xHigh, int hOff, int k) {
        long byteOff = w * 2;
        int pairs = k / 2;
        FloatVector lo0 = FloatVector.zero(F), hi0 = lo0, lo1 = lo0, hi1 = lo0;
        int q = 0;
        for (; q <= pairs - 2 * L; q += 2 * L) {
            IntVector v0 = ShortVector.fromMemorySegment(S2, seg, byteOff + q * 4L, ORDER).reinterpretAsInts();
            IntVector v1 = ShortVector.fromMemorySegment(S2, seg, byteOff + (q + L) * 4L, ORDER).reinterpretAsInts();
            FloatVector first0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector second0 = v0.and(0xFFFF0000).reinterpretAsFloats();
            FloatVector first1 = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector second1 = v1.and(0xFFFF0000).reinterpretAsFloats();
            lo0 = first0.fma(FloatVector.fromMemorySegment(F, xLow, 4L * (hOff + q), ORDER), lo0);
            hi0 = second0.fma(FloatVector.fromMemorySegment(F, xHigh, 4L * (hOff + q), ORDER), hi0);
            lo1 = first1.fma(FloatVector.fromMemorySegment(F, xLow, 4L * (hOff + q + L), ORDER), lo1);
            hi1 = second1.fma(FloatVector.fromMemorySegment(F, xHigh, 4L * (hOff + q + L), ORDER), hi1);
        }
        for (; q <= pairs - L; q += L) {
            IntVector v0 = ShortVector.fromMemorySegment(S2, seg, byteOff + q * 4L, ORDER).reinterpretAsInts();
            FloatVector first0 = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector second0 = v0.and(0xFFFF0000).reinterpretAsFloats();
            lo0 = first0.fma(FloatVector.fromMemorySegment(F, xLow, 4L * (hOff + q), ORDER), lo0);
            hi0 = second0.fma(FloatVector.fromMemorySegment(F, xHigh, 4L * (hOff + q), ORDER), hi0);
        }
        float sum = DeterministicLanes.treeSum(lo0.add(hi0).add(lo1.add(hi1)));
        for (int p = 2 * q; p < k; p++) sum += bf16(seg, w + p) * x[xOff + p];
        return sum;
    }

    /**
     * dot(x row, F16 W row at element offset w), widened in registers (the Vector API has no half-float lanes).
     * Pairs of F16 as in {@link #dotBf16}; each half h becomes a float exactly: the exponent and mantissa bits
     * (h & 0x7FFF) << 13 read as a float and multiplied by 2^112 rebias the exponent (15 -> 127), subnormal halves
     * included (the product is a normal float); infinities and NaNs (exponent 31) get the float exponent 255 with
     * the mantissa kept; the sign bit moves to bit 31. The same loop is written out for both halves of the lanes.
     */
    private static float dotF16(MemorySegment seg, long w, float[] x, int xOff, float[] xLow, float[] xHigh,
                                int hOff, int k) {
        long byteOff = w * 2;
        int pairs = k / 2;
        FloatVector lo = FloatVector.zero(F), hi = lo;
        FloatVector rebias = FloatVector.broadcast(F, 0x1p112f);
        int q = 0;
        for (; q <= pairs - L; q += L) {
            IntVector v = ShortVector.fromMemorySegment(S2, seg, byteOff + q * 4L, ORDER).reinterpretAsInts();
            IntVector first = v.and(0xFFFF);
            IntVector firstMagnitude = first.and(0x7FFF);
            IntVector firstFinite = firstMagnitude.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats()
                    .mul(rebias).reinterpretAsInts();
            IntVector firstSpecial = firstMagnitude.lanewise(VectorOperators.LSHL, 13).or(0x7F800000);
            IntVector firstBits = firstFinite
                    .blend(firstSpecial, firstMagnitude.compare(VectorOperators.GE, 0x7C00))
                    .or(first.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            IntVector second = v.lanewise(VectorOperators.LSHR, 16);
            IntVector secondMagnitude = second.and(0x7FFF);
            IntVector secondFinite = secondMagnitude.lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats()
                    .mul(rebias).reinterpretAsInts();
            IntVector secondSpecial = secondMagnitude.lanewise(VectorOperators.LSHL, 13).or(0x7F800000);
            IntVector secondBits = secondFinite
                    .blend(secondSpecial, secondMagnitude.compare(VectorOperators.GE, 0x7C00))
                    .or(second.and(0x8000).lanewise(VectorOperators.LSHL, 16));
            lo = firstBits.reinterpretAsFloats().fma(FloatVector.fromArray(F, xLow, hOff + q), lo);
            hi = secondBits.reinterpretAsFloats().fma(FloatVector.fromArray(F, xHigh, hOff + q), hi);
        }
        float sum = DeterministicLanes.treeSum(lo.add(hi));
        for (int p = 2 * q; p < k; p++) {
            sum += Float.float16ToFloat(seg.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, w + p)) * x[xOff + p];
        }
        return sum;
    }

    /**
     * c[cRow + j] = sum_p x[p] * b[bBase + p*sk + j] for j in [j0, j1), b row-major (stride 1 along N), F32 or
     * BF16. Each dtype has its own loop: a vector produced on two paths of a branch inside the loop gets boxed.
     */
    private static void rowMajorBlock(Tensor b, long bBase, int k, int j0, int j1, float[] x, float[] c, int cRow) {
        MemorySegment seg = b.data();
        long sk = b.stride(-2);
        boolean bf16 = b.dtype() == DType.BF16;
        int j = j0;
        for (; j <= j1 - L; j += L) {
            FloatVector acc = bf16 ? columnBf16(seg, bBase + j, sk, k, x) : columnF32(seg, bBase + j, sk, k, x);
            acc.intoArray(c, cRow + j);
        }
        for (; j < j1; j++) {
            float sum = 0;
            for (int p = 0; p < k; p++) sum += x[p] * b.readFloat(bBase + p * sk + j);
            c[cRow + j] = sum;
        }
    }

    /** sum_p x[p] * b[at + p*sk : at + p*sk + L] for F32 b; two accumulator chains hide the FMA latency. */
    private static FloatVector columnF32(MemorySegment seg, long at, long sk, int k, float[] x) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int p = 0;
        for (; p + 1 < k; p += 2) {
            FloatVector b0 = FloatVector.fromMemorySegment(F, seg, (at + p * sk) * 4, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(F, seg, (at + (p + 1) * sk) * 4, ORDER);
            acc0 = b0.fma(FloatVector.broadcast(F, x[p]), acc0);
            acc1 = b1.fma(FloatVector.broadcast(F, x[p + 1]), acc1);
        }
        if (p < k) {
            FloatVector b0 = FloatVector.fromMemorySegment(F, seg, (at + p * sk) * 4, ORDER);
            acc0 = b0.fma(FloatVector.broadcast(F, x[p]), acc0);
        }
        return acc0.add(acc1);
    }

    /** As {@link #columnF32} for BF16 b: L shorts widened to ints (S2I), shifted into the high half of a float. */
    private static FloatVector columnBf16(MemorySegment seg, long at, long sk, int k, float[] x) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        int p = 0;
        for (; p + 1 < k; p += 2) {
            IntVector w0 = (IntVector) ShortVector.fromMemorySegment(S, seg, (at + p * sk) * 2, ORDER)
                    .convertShape(VectorOperators.S2I, I, 0);
            IntVector w1 = (IntVector) ShortVector.fromMemorySegment(S, seg, (at + (p + 1) * sk) * 2, ORDER)
                    .convertShape(VectorOperators.S2I, I, 0);
            FloatVector b0 = w0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector b1 = w1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc0 = b0.fma(FloatVector.broadcast(F, x[p]), acc0);
            acc1 = b1.fma(FloatVector.broadcast(F, x[p + 1]), acc1);
        }
        if (p < k) {
            IntVector w0 = (IntVector) ShortVector.fromMemorySegment(S, seg, (at + p * sk) * 2, ORDER)
                    .convertShape(VectorOperators.S2I, I, 0);
            FloatVector b0 = w0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            acc0 = b0.fma(FloatVector.broadcast(F, x[p]), acc0);
        }
        return acc0.add(acc1);
    }
}

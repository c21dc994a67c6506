package minitron.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Batched matmul on every backend against the scalar reference (double-precision loops, one rounding).
 *
 * <p>Shape legend: a (B..., M, K) @ b (B..., K, N) = out (B..., M, N). The sizes are chosen to cross the fast
 * kernel's boundaries: the register tile (6 rows x 64 columns with AVX-512), the K block (512), the N block
 * (256), the GEMV path (M <= 16) and the vector width (16 floats; K and N mostly not multiples of it).
 * Inputs are uniform in [-1, 1).
 */
class MatmulTest {
    /** Unit roundoff of F32 accumulation (2^-23, one ulp at 1.0). */
    private static final double EPS_F32 = Math.ulp(1.0f);

    /**
     * Absolute tolerance for an F32 dot product of length K against the double reference. The fast kernels sum
     * in F32 in another order (vector lanes, K blocks, split even/odd BF16 halves); the difference grows like
     * sqrt(K) * eps_f32 * |a_row| |b_col| (random-walk rounding errors), and |a_row| |b_col| <= K for entries in
     * [-1, 1). Such a bound is about 1e-4 at K = 300, while a wrong index or a dropped term moves a result by
     * ~0.1 or more (entries are ~0.3 in magnitude), so the comparison still catches every real bug.
     */
    static double accumulationTolerance(int k) {
        return Math.sqrt(k) * EPS_F32 * Math.max(1, k);
    }

    /** The reference reads BF16/F16 weights exactly as the kernels do, so no extra rounding: rtol stays 0. */
    static final double RTOL = 0;

    enum Layout {
        /** A plain row-major tensor. */
        CONTIGUOUS,
        /** The transpose of a row-major (cols, rows) tensor: strides (1, rows). For b, an HF (out, in) weight. */
        TRANSPOSED,
        /** A slice of a larger tensor: offset and row stride both unusual. */
        STRIDED
    }

    // ------------------------------------------------------------------ inputs

    /** A (rows, cols) matrix of dtype in the given layout, values uniform in [-1, 1) (rounded to dtype). */
    static Tensor matrix(long seed, DType dtype, Layout layout, int rows, int cols) {
        return switch (layout) {
            case CONTIGUOUS -> TestTensors.uniform(seed, dtype, rows, cols);
            case TRANSPOSED -> TestTensors.uniform(seed, dtype, cols, rows).transpose(0, 1);
            case STRIDED -> TestTensors.uniform(seed, dtype, rows + 3, cols + 2)
                    .slice(0, 2, 2 + rows)
                    .slice(1, 1, 1 + cols);
        };
    }

    private static void assertMatmulMatchesReference(Tensor a, Tensor b, String what) {
        Tensor expected = Ops.of(Backends.scalar()).matmul(a, b);
        int k = a.dim(-1);
        for (Backend backend : TestTensors.backends()) {
            Tensor actual = Ops.of(backend).matmul(a, b);
            TensorAssert.assertClose(expected, actual, accumulationTolerance(k), RTOL, backend.name() + " " + what);
        }
    }

    // ------------------------------------------------------------------ shapes x layouts x dtypes

    /** (M, K, N) triples: odd sizes, GEMV rows, and sizes past the tile, K-block and N-block boundaries. */
    private static final int[][] SHAPES = {
            {1, 1, 1}, {1, 3, 17}, {3, 17, 33}, {4, 33, 65}, {5, 16, 64}, {6, 64, 64}, {7, 100, 129},
            {17, 65, 100}, {13, 300, 70}, {33, 129, 3}, {12, 513, 130}, {9, 20, 1100}, {7, 1100, 300},
            {16, 40, 50}, {20, 1100, 300},
    };

    static Stream<Arguments> shapesLayoutsDtypes() {
        List<Arguments> cases = new ArrayList<>();
        for (int[] s : SHAPES) {
            for (DType bType : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                for (Layout aLayout : Layout.values()) {
                    for (Layout bLayout : Layout.values()) {
                        // Keep the suite fast: every layout pair in F32 and BF16, F16 with the weight layouts only.
                        if (bType == DType.F16 && aLayout != Layout.CONTIGUOUS) continue;
                        cases.add(Arguments.of(s[0], s[1], s[2], bType, aLayout, bLayout));
                    }
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "({0}, {1}) @ ({1}, {2}) b {3}, a {4}, b {5}")
    @MethodSource("shapesLayoutsDtypes")
    void matchesReference(int m, int k, int n, DType bType, Layout aLayout, Layout bLayout) {
        Tensor a = matrix(m * 31L + k, DType.F32, aLayout, m, k);
        Tensor b = matrix(n * 17L + k, bType, bLayout, k, n);
        assertMatmulMatchesReference(a, b, "a " + aLayout + " b " + bLayout + " " + bType);
    }

    /** Decode shapes: a few rows of x times an HF (out, in) weight, K odd and larger than the unrolled loops. */
    @ParameterizedTest(name = "M={0} K={1} N={2} {3}")
    @MethodSource("gemvShapes")
    void gemvMatchesReference(int m, int k, int n, DType wType) {
        Tensor x = TestTensors.uniform(m + k, m, k);
        Tensor weight = TestTensors.uniform(n + k, wType, n, k); // (out, in)
        assertMatmulMatchesReference(x, weight.transpose(0, 1), "x @ W^T");
        assertMatmulMatchesReference(x, TestTensors.uniform(n - k, wType, k, n), "x @ W (row-major)");
    }

    /**
     * W^T whose rows are not back to back (W is a column slice of a wider matrix, row stride K + 3): the GEMV
     * must not read the block as one contiguous run (its cache warm-up does so only for contiguous rows), on both
     * sides of the BF16 four-row limit and with a row count that is not a multiple of four.
     */
    @ParameterizedTest(name = "M={0} K={1} N={2} {3}")
    @MethodSource("gemvShapes")
    void gemvWithStridedWeightRowsMatchesReference(int m, int k, int n, DType wType) {
        Tensor x = TestTensors.uniform(m + 2L * k, m, k);
        Tensor wide = TestTensors.uniform(n + 3L * k, wType, n, k + 3); // (out, in + 3)
        assertMatmulMatchesReference(x, wide.slice(1, 1, k + 1).transpose(0, 1), "x @ W[:, 1:k+1]^T");
    }

    /**
     * The GEMM packs W^T with 16 x 16 transposes (PanelTranspose) where W's rows are contiguous, also when they are
     * not back to back (a column slice of a wider W): K past the K block with a tail that is not a multiple of 16
     * or 32 (1100 = 512 + 512 + 76), N past the N block with a partial group of 16 columns (300 = 256 + 32 + 12).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("halfAndSingle")
    void gemmPacksSlicedWeightRows(DType wType) {
        Tensor x = TestTensors.uniform(51, 20, 1100);
        Tensor wide = TestTensors.uniform(52, wType, 300, 1105); // (out, in + 5)
        assertMatmulMatchesReference(x, wide.slice(1, 2, 1102).transpose(0, 1), "x @ W[:, 2:1102]^T");
    }

    static Stream<DType> halfAndSingle() {
        return Stream.of(DType.F32, DType.BF16, DType.F16);
    }

    /**
     * The same call gives the same bits every time, interpreted or compiled (the GEMV's lane sums are a fixed
     * tree; the Vector API's reduceLanes is not): a pruning scan and a later forward over the same rows agree.
     */
    @Test
    void gemvRepeatsItsBitsAcrossCompilation() {
        for (int k : new int[]{1000, 2051}) { // BF16: bursts and four-row products; pairs of rows
            for (DType wType : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                Tensor x = TestTensors.uniform(61, 3, k);
                Tensor weightT = TestTensors.uniform(62, wType, 21, k).transpose(0, 1);
                Ops ops = Ops.of(Backends.cpu());
                float[] first = ops.matmul(x, weightT).toFloatArray();
                for (int rep = 0; rep < 3000; rep++) {
                    float[] again = ops.matmul(x, weightT).toFloatArray();
                    for (int j = 0; j < first.length; j++) {
                        assertEquals(Float.floatToRawIntBits(first[j]), Float.floatToRawIntBits(again[j]),
                                wType + " K=" + k + " output " + j + " on call " + rep);
                    }
                }
            }
        }
    }

    /**
     * The GEMV keeps per-thread buffers for x between calls: a call with fewer columns but more rows of x than the
     * previous one must grow them (here the even/odd halves of x: 1 x 4096, then 2 x 2048, then 4 x 1030).
     */
    @Test
    void gemvBuffersGrowWhenRowsOfXGrowAndColumnsShrink() {
        for (int[] mk : new int[][]{{1, 4096}, {2, 2048}, {4, 1030}, {1, 4096}}) {
            int m = mk[0], k = mk[1];
            Tensor x = TestTensors.uniform(m * 7L + k, m, k);
            Tensor weight = TestTensors.uniform(k + 11L, DType.BF16, 9, k); // (out, in)
            assertMatmulMatchesReference(x, weight.transpose(0, 1), "M=" + m + " K=" + k + " after other shapes");
        }
    }

    static Stream<Arguments> gemvShapes() {
        List<Arguments> cases = new ArrayList<>();
        for (DType t : new DType[]{DType.F32, DType.BF16, DType.F16}) {
            cases.add(Arguments.of(1, 1, 5, t));
            cases.add(Arguments.of(1, 2, 3, t));
            cases.add(Arguments.of(1, 67, 33, t));
            cases.add(Arguments.of(1, 1031, 75, t));
            cases.add(Arguments.of(1, 1061, 9, t)); // 530 BF16 pairs: unrolled steps, one single step, an odd tail
            cases.add(Arguments.of(3, 1061, 7, t));
            cases.add(Arguments.of(1, 2051, 9, t)); // BF16 rows in pairs from the two halves; row 4 alone
            cases.add(Arguments.of(2, 2048, 10, t)); // BF16, two rows of a: bursts and four-row products
            cases.add(Arguments.of(1, 2048, 10, t)); // BF16, one row of a: pairs
            cases.add(Arguments.of(1, 1030, 29, t)); // BF16, one row of a: pairs just above 1024
            cases.add(Arguments.of(1, 1000, 29, t)); // BF16 bursts of 16 rows read ahead, the last one 13 rows
            cases.add(Arguments.of(16, 1024, 21, t)); // BF16 at the burst limit: bursts, 16 rows of a
            cases.add(Arguments.of(2, 6151, 5, t));  // BF16 above the aligned-x limit: x halves from heap arrays
            cases.add(Arguments.of(1, 6177, 6, t));  // BF16 rows read in pairs: 96 double steps, a scalar tail of 33
            cases.add(Arguments.of(3, 4100, 143, t)); // BF16 rows j and j + 72 paired over several claims; 71 alone
            cases.add(Arguments.of(2, 130, 17, t));
            cases.add(Arguments.of(4, 99, 21, t));
            cases.add(Arguments.of(5, 64, 70, t));
            cases.add(Arguments.of(16, 1030, 21, t)); // a short prompt: the most rows of x the GEMV takes
        }
        return cases.stream();
    }

    /**
     * Half-precision bit patterns the in-register widening must get exactly right: zeros of both signs, the
     * smallest and largest subnormals, the smallest and largest normals, infinities and a NaN, in every lane
     * position of a vector (row j of W holds one special value at column 3j mod 32, zeros elsewhere; x is ones).
     */
    @Test
    void specialHalfValuesInWeights() {
        short[] f16 = {0x0000, (short) 0x8000, 0x0001, (short) 0x8001, 0x03FF, 0x0400, 0x7BFF, (short) 0xFBFF,
                0x7C00, (short) 0xFC00, 0x3C00, (short) 0xC000, 0x3555, 0x1234};
        short[] bf16 = {0x0000, (short) 0x8000, 0x0001, 0x007F, 0x0080, 0x7F7F, (short) 0xFF7F, 0x7F80,
                (short) 0xFF80, 0x3F80, (short) 0xC000, 0x3EAB, 0x1234, (short) 0x8001};
        int k = 70;
        for (DType wType : new DType[]{DType.F16, DType.BF16}) {
            short[] values = wType == DType.F16 ? f16 : bf16;
            int n = 32 + values.length;
            Tensor weight = Tensor.zeros(wType, n, k); // (out, in)
            short[] bits = (short[]) weight.data().heapBase().orElseThrow();
            for (int j = 0; j < n; j++) bits[j * k + (3 * j) % 32] = values[j % values.length];
            Tensor x = Tensor.zeros(DType.F32, 1, k);
            for (int p = 0; p < k; p++) x.set(1.0, 0, p);
            assertMatmulMatchesReference(x, weight.transpose(0, 1), "special " + wType + " values, x @ W^T");
        }
        // A NaN weight: the result must be NaN, as in the reference (assertClose treats NaN as equal to NaN).
        Tensor weight = Tensor.zeros(DType.F16, 5, 40);
        ((short[]) weight.data().heapBase().orElseThrow())[2 * 40 + 7] = 0x7E00;
        Tensor x = TestTensors.uniform(51, 1, 40);
        for (Backend backend : TestTensors.backends()) {
            Tensor out = Ops.of(backend).matmul(x, weight.transpose(0, 1));
            assertTrue(Double.isNaN(out.get(0, 2)), backend.name() + ": NaN weight gives " + out.get(0, 2));
            assertEquals(0.0, out.get(0, 1), backend.name() + ": zero row");
        }
    }

    // ------------------------------------------------------------------ batches

    @Test
    void weightWithoutBatchAxesIsBroadcast() {
        // a (2, 3, 7, 20) @ b (20, 9): b is expanded with stride 0 over both batch axes.
        assertMatmulMatchesReference(TestTensors.uniform(1, 2, 3, 7, 20), TestTensors.uniform(2, 20, 9),
                "b broadcast");
        assertMatmulMatchesReference(TestTensors.uniform(3, 2, 3, 1, 20),
                TestTensors.uniform(4, DType.BF16, 9, 20).transpose(0, 1), "GEMV rows, BF16 W^T broadcast");
    }

    @Test
    void bothOperandsBroadcastOverBatches() {
        // a (2, 1, 8, 19) @ b (3, 19, 70) -> (2, 3, 8, 70); a has stride 0 on axis 1 once expanded.
        assertMatmulMatchesReference(TestTensors.uniform(5, 2, 1, 8, 19), TestTensors.uniform(6, 3, 19, 70),
                "both broadcast");
        Tensor expandedB = TestTensors.uniform(7, 1, 19, 70).expand(4, 19, 70);
        assertMatmulMatchesReference(TestTensors.uniform(8, 4, 8, 19), expandedB, "explicit stride-0 b");
    }

    @Test
    void batchedTransposedAndStridedOperands() {
        // Per-batch transposed a and b, as in attention's q @ k^T with (B, T, D) tensors.
        Tensor q = TestTensors.uniform(9, 3, 11, 40);
        Tensor k = TestTensors.uniform(10, 3, 13, 40);
        assertMatmulMatchesReference(q, k.transpose(1, 2), "q @ k^T");
        assertMatmulMatchesReference(q.transpose(1, 2), TestTensors.strided(11, 3, 11, 67), "a^T @ strided b");
        assertMatmulMatchesReference(TestTensors.uniform(12, 5, 1, 40), k.select(0, 0).transpose(0, 1),
                "batched M=1");
    }

    /**
     * BF16 GEMV rows longer than 1024 go in pairs from the two halves of each batch's W (row j with
     * row j + ceil(N / 2)): with a batch axis the partner is in the same batch, and every output lands in place.
     */
    @Test
    void batchedGemvPairsRowsWithinEachBatch() {
        for (int n : new int[]{7, 8, 130}) {
            Tensor x = TestTensors.uniform(13L + n, 3, 2, 2051);
            Tensor weights = TestTensors.uniform(14L + n, DType.BF16, 3, n, 2051); // (B, out, in)
            assertMatmulMatchesReference(x, weights.transpose(1, 2), "batched x @ W^T, N=" + n);
        }
    }

    // ------------------------------------------------------------------ memory and threads

    /** Weights memory-mapped from a file arrive as off-heap segments: the kernels must read those too (confined). */
    @Test
    void offHeapOperands() {
        try (Arena arena = Arena.ofConfined()) {
            for (DType wType : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                Tensor weight = offHeap(arena, 21, wType, 70, 45);          // (out, in) = (70, 45)
                Tensor weightT = weight.transpose(0, 1);
                String tag = "off-heap " + wType;
                assertMatmulMatchesReference(TestTensors.uniform(22, 1, 45), weightT, tag + " W^T M=1");
                assertMatmulMatchesReference(TestTensors.uniform(23, 3, 45), weightT, tag + " W^T M=3");
                assertMatmulMatchesReference(TestTensors.uniform(24, 20, 45), weightT, tag + " W^T M=20");
                assertMatmulMatchesReference(TestTensors.uniform(25, 20, 70), weight, tag + " row-major b");
                assertMatmulMatchesReference(TestTensors.uniform(26, 1, 70), weight, tag + " row-major b M=1");
            }
            Tensor a = offHeap(arena, 27, DType.F32, 9, 45);
            assertMatmulMatchesReference(a, TestTensors.uniform(28, 45, 30), "off-heap a");
        }
    }

    /**
     * A shared arena (what a memory-mapped checkpoint uses) lets both pool threads read the weight; a confined one
     * (above) makes the kernels stay on the calling thread. Sizes large enough to split over two threads.
     */
    @Test
    void sharedOffHeapWeightsOnTwoThreads() {
        int previous = Parallel.threads();
        try (Arena arena = Arena.ofShared()) {
            Parallel.setThreads(2);
            for (DType wType : new DType[]{DType.F32, DType.BF16}) {
                Tensor weight = offHeap(arena, 41, wType, 300, 130);         // (out, in) = (300, 130)
                String tag = "shared off-heap " + wType;
                assertMatmulMatchesReference(TestTensors.uniform(42, 1, 130), weight.transpose(0, 1), tag + " GEMV");
                assertMatmulMatchesReference(TestTensors.uniform(43, 40, 130), weight.transpose(0, 1), tag + " GEMM");
                assertMatmulMatchesReference(TestTensors.uniform(44, 1, 300), weight, tag + " row-major GEMV");
            }
        } finally {
            Parallel.setThreads(previous);
        }
    }

    /**
     * A mapped safetensors file aligns its data to 8 bytes only, so BF16 rows usually start inside a cache line.
     * Every start within a line, even and odd, for rows read in pairs (one and several rows of x, and pairs read
     * first above 6144), in bursts with four-row products (K = 1024), and with an odd K, with W ending where its
     * segment ends, so that no read may run past the last row.
     */
    @Test
    void gemvOfBf16RowsAtEveryAlignment() {
        int[][] shapes = {{1, 2048, 9}, {1, 1056, 4}, {3, 4096, 5}, {1, 8192, 7}, {1, 2051, 6}, {1, 1024, 10}, {3, 2048, 9}};
        try (Arena arena = Arena.ofShared()) {
            for (int start = 0; start < 64; start += 2) {
                for (int[] mkn : shapes) {
                    int m = mkn[0], k = mkn[1], n = mkn[2];
                    long bytes = 2L * n * k;
                    MemorySegment segment = arena.allocate(bytes + 64, 64).asSlice(start, bytes);
                    Tensor weight = Tensor.wrap(segment, DType.BF16, Shape.of(n, k));
                    SplittableRandom random = new SplittableRandom(start * 31L + k);
                    for (long i = 0; i < weight.numel(); i++) weight.writeDouble(i, random.nextDouble(-1, 1));
                    assertMatmulMatchesReference(TestTensors.uniform(70L + start, m, k), weight.transpose(0, 1),
                            "BF16 W starting " + start + " bytes into a cache line, (M, K, N) = (" + m + ", " + k + ", " + n + ")");
                }
            }
        }
    }

    /**
     * Tall W: the GEMV's threads claim runs of hundreds of rows (a quarter of a thread's share), so the last claim
     * is partial and the two threads' runs interleave; every output must still land once, in place.
     */
    @Test
    void gemvOfTallWeightsOnTwoThreads() {
        int previous = Parallel.threads();
        try {
            Parallel.setThreads(2);
            Tensor pairs = TestTensors.uniform(81, DType.BF16, 2603, 1100);   // rows in pairs: 1302 of them
            assertMatmulMatchesReference(TestTensors.uniform(82, 1, 1100), pairs.transpose(0, 1), "GEMV, 2603 rows in pairs");
            Tensor blocks = TestTensors.uniform(83, DType.BF16, 9001, 1000); // four-row blocks after bursts
            assertMatmulMatchesReference(TestTensors.uniform(84, 3, 1000), blocks.transpose(0, 1), "GEMV, 9001 rows in blocks");
        } finally {
            Parallel.setThreads(previous);
        }
    }

    private static Tensor offHeap(Arena arena, long seed, DType dtype, int rows, int cols) {
        Shape shape = Shape.of(rows, cols);
        MemorySegment segment = arena.allocate(shape.numel() * dtype.byteSize(), 64);
        Tensor t = Tensor.wrap(segment, dtype, shape);
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < t.numel(); i++) t.writeDouble(i, random.nextDouble(-1, 1));
        return t;
    }

    @Test
    void oneAndTwoThreadsGiveTheReferenceResult() {
        int previous = Parallel.threads();
        try {
            for (int threads : new int[]{1, 2}) {
                Parallel.setThreads(threads);
                String tag = threads + " thread(s)";
                assertMatmulMatchesReference(TestTensors.uniform(31, 50, 70), TestTensors.uniform(32, 70, 300), tag);
                assertMatmulMatchesReference(TestTensors.uniform(33, 200, 40), TestTensors.uniform(34, 40, 20),
                        tag + ", tall");
                assertMatmulMatchesReference(TestTensors.uniform(35, 1, 70),
                        TestTensors.uniform(36, DType.BF16, 300, 70).transpose(0, 1), tag + ", GEMV");
                assertMatmulMatchesReference(TestTensors.uniform(37, 3, 5, 70), TestTensors.uniform(38, 70, 9),
                        tag + ", batched");
            }
        } finally {
            Parallel.setThreads(previous);
        }
    }

    @Test
    void emptyContractedAxisGivesZeros() {
        for (Backend backend : TestTensors.backends()) {
            Tensor out = Ops.of(backend).matmul(TestTensors.uniform(1, 3, 0), TestTensors.uniform(2, 0, 4));
            TensorAssert.assertClose(Tensor.zeros(DType.F32, 3, 4), out, 0, 0, backend.name() + " K=0");
        }
    }

    /** Values that are exact in F32 give the exact result on every backend: catches lost or doubled K blocks. */
    @Test
    void exactSmallIntegersAcrossKBlocks() {
        int m = 8, k = 600, n = 70;
        Tensor a = Tensor.zeros(DType.F32, m, k), b = Tensor.zeros(DType.F32, k, n);
        for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) a.set((i + p) % 3 - 1, i, p);
        for (int p = 0; p < k; p++) for (int j = 0; j < n; j++) b.set((p * 7 + j) % 5 - 2, p, j);
        Tensor expected = Ops.of(Backends.scalar()).matmul(a, b);
        for (Backend backend : TestTensors.backends()) {
            TensorAssert.assertClose(expected, Ops.of(backend).matmul(a, b), 0, 0, backend.name() + " exact");
        }
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void mismatchedInnerSizeNamesBothShapes() {
        TensorException e = assertThrows(TensorException.class,
                () -> Ops.cpu().matmul(TestTensors.uniform(1, 3, 4), TestTensors.uniform(2, 5, 6)));
        assertTrue(e.getMessage().contains("matmul"), e.getMessage());
        assertTrue(e.getMessage().contains("a.shape[-1] == b.shape[-2]"), e.getMessage());
        assertTrue(e.getMessage().contains("(3, 4)") && e.getMessage().contains("(5, 6)"), e.getMessage());
    }

    @Test
    void integerWeightIsRejectedWithItsDtype() {
        TensorException e = assertThrows(TensorException.class,
                () -> Ops.cpu().matmul(TestTensors.uniform(1, 3, 4), TestTensors.ids(2, 10, 4, 6)));
        assertTrue(e.getMessage().contains("matmul"), e.getMessage());
        assertTrue(e.getMessage().contains("b of dtype F32, BF16 or F16"), e.getMessage());
        assertTrue(e.getMessage().contains("I32"), e.getMessage());
    }

    @Test
    void incompatibleBatchAxesAreRejected() {
        TensorException e = assertThrows(TensorException.class,
                () -> Ops.cpu().matmul(TestTensors.uniform(1, 2, 3, 4), TestTensors.uniform(2, 3, 4, 6)));
        assertTrue(e.getMessage().contains("matmul"), e.getMessage());
        assertEquals(TensorException.class, e.getClass());
    }
}

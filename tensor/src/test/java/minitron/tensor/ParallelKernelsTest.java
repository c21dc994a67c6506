package minitron.tensor;

import static minitron.tensor.KernelChecks.F32_ATOL;
import static minitron.tensor.KernelChecks.F32_RTOL;
import static minitron.tensor.KernelChecks.matchesScalar;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The kernels at sizes where the fast backend splits its loops across the pool (the other tests use sizes small
 * enough to run in one chunk). The pool is set to 3 threads, so chunk boundaries fall at uneven places whatever
 * the machine, and restored afterwards.
 */
class ParallelKernelsTest {
    private static int savedThreads;

    /**
     * Sums of 203 values with |x| <= 5 in F32 lanes: each of the 16 lane partials (magnitude up to ~60) takes
     * about 13 additions, then 4 more to combine them, each rounding by at most half an ulp of 64 (3.8e-6): a
     * worst case of about 17 * 3.8e-6 = 6.5e-5 in absolute terms, whatever the (possibly cancelled) result.
     */
    private static final double F32_SUM_ATOL = 6.5e-5;

    /**
     * dweight sums, per column, 301 terms dy * x / rms with |term| <= ~1.7 in F32; the running sum (up to ~30)
     * rounds by at most half an ulp of 32 (9.5e-7) per addition: a random walk of 301 of them gives about
     * sqrt(301) * 9.5e-7 = 1.6e-5 (measured: 1.3e-5); three times that is allowed (the worst case, 2.9e-4, is
     * not reached by independent roundings).
     */
    private static final double DWEIGHT_ATOL = 5e-5;

    @BeforeAll
    static void threeThreads() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(3);
    }

    @AfterAll
    static void restore() {
        Parallel.setThreads(savedThreads);
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void kernelsMatchScalarWhenSplitAcrossThreads(Backend backend) {
        int rows = 301, cols = 203; // 61103 elements: several chunks of every grain
        Tensor x = Ops.of(Backends.scalar()).scale(TestTensors.uniform(1, rows, cols), 5);
        Tensor y = TestTensors.uniform(2, rows, cols);
        matchesScalar(backend, "exp", F32_ATOL, F32_RTOL, ops -> ops.unary(UnaryOp.EXP, x));
        matchesScalar(backend, "add", 0, 0, ops -> ops.add(x, y));
        matchesScalar(backend, "add bias row", 0, 0, ops -> ops.add(x, TestTensors.uniform(3, cols)));
        matchesScalar(backend, "copy transposed", 0, 0, ops -> ops.contiguous(x.transpose(0, 1)));
        matchesScalar(backend, "sum rows", F32_SUM_ATOL, F32_RTOL, ops -> ops.sum(x, 1, false));
        matchesScalar(backend, "max columns", 0, 0, ops -> ops.max(x, 0, false));
        matchesScalar(backend, "softmax", F32_ATOL, F32_RTOL, ops -> ops.softmax(x));
        matchesScalar(backend, "swiglu", F32_ATOL, F32_RTOL, ops -> ops.swiglu(x, y));
        Tensor w = TestTensors.uniform(4, DType.BF16, cols);
        matchesScalar(backend, "rmsNorm", F32_ATOL, F32_RTOL, ops -> ops.rmsNorm(x, w, 1e-5));
        matchesScalar(backend, "rmsNormBackward dx", F32_ATOL, F32_RTOL, ops -> ops.rmsNormBackward(x, w, 1e-5, y).dx());
        matchesScalar(backend, "rmsNormBackward dweight", DWEIGHT_ATOL, F32_RTOL,
                ops -> ops.rmsNormBackward(x, w, 1e-5, y).dweight());
        Tensor targets = TestTensors.ids(5, cols, rows);
        matchesScalar(backend, "crossEntropy", F32_ATOL, F32_RTOL, ops -> ops.crossEntropy(x, targets, -1).loss());
        Tensor ids = TestTensors.ids(6, 50, 400);
        Tensor dout = TestTensors.uniform(7, 400, cols);
        matchesScalar(backend, "embeddingBackward", F32_ATOL, F32_RTOL, ops -> ops.embeddingBackward(ids, dout, 50));
    }

    /**
     * Memory confined to the calling thread (Arena.ofConfined) may not be read by the pool's threads: kernels that
     * read their input's memory in place from a parallel loop run that loop on the caller then, as the GEMM does.
     * The copy and embedding kernels threw WrongThreadException for a confined table, source or destination once
     * their loops were split (found by RandomViewsFuzzTest, through a linear whose non-contiguous x was copied).
     */
    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void kernelsReadThreadConfinedMemory(Backend backend) {
        int rows = 301, cols = 203;
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = confinedCopy(arena, TestTensors.uniform(12, rows, cols));
            Tensor table = confinedCopy(arena, TestTensors.uniform(13, DType.BF16, 50, cols));
            Tensor ids = TestTensors.ids(14, 50, 400);
            matchesScalar(backend, "embedding of a confined BF16 table", 0, 0, ops -> ops.embedding(table, ids));
            matchesScalar(backend, "copy of a confined transposed view", 0, 0, ops -> ops.contiguous(x.transpose(0, 1)));
            matchesScalar(backend, "widening a confined BF16 tensor", 0, 0, ops -> {
                Tensor wide = Tensor.zeros(DType.F32, 50, cols);
                ops.copyInto(table, wide);
                return wide;
            });
            matchesScalar(backend, "narrowing into confined BF16", 0, 0, ops -> {
                Tensor narrow = confinedCopy(arena, Tensor.zeros(DType.BF16, rows, cols));
                ops.copyInto(x, narrow);
                return narrow.to(DType.F32);
            });
            Tensor w = TestTensors.uniform(15, DType.BF16, 7, rows);
            matchesScalar(backend, "linear of a confined transposed x", MatmulTest.accumulationTolerance(rows),
                    MatmulTest.RTOL, ops -> ops.linear(x.transpose(0, 1), w));
        }
    }

    /** A copy of t in memory confined to this thread. */
    private static Tensor confinedCopy(Arena arena, Tensor t) {
        MemorySegment segment = arena.allocate(t.numel() * t.dtype().byteSize(), 8);
        Tensor copy = Tensor.wrap(segment, t.dtype(), t.shape());
        Backends.scalar().copy(t, copy);
        return copy;
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void attentionMatchesScalarWhenSplitAcrossThreads(Backend backend) {
        int b = 2, h = 6, g = 3, t = 40, s = 47, d = 33;
        Tensor q = TestTensors.uniform(8, b, h, t, d);
        Tensor k = TestTensors.uniform(9, b, g, s, d);
        Tensor v = TestTensors.uniform(10, b, g, s, d);
        Tensor dout = TestTensors.uniform(11, b, h, t, d);
        double scale = 1 / Math.sqrt(d);
        matchesScalar(backend, "attention", F32_ATOL, F32_RTOL, ops -> ops.attention(q, k, v, scale, true).out());
        Ops.AttentionResult saved = Ops.of(Backends.scalar()).attention(q, k, v, scale, true);
        matchesScalar(backend, "attention dq", F32_ATOL, F32_RTOL,
                ops -> ops.attentionBackward(q, k, v, saved, dout, scale, true).dq());
        matchesScalar(backend, "attention dk", F32_ATOL, F32_RTOL,
                ops -> ops.attentionBackward(q, k, v, saved, dout, scale, true).dk());
        matchesScalar(backend, "attention dv", F32_ATOL, F32_RTOL,
                ops -> ops.attentionBackward(q, k, v, saved, dout, scale, true).dv());
    }
}

package minitron.tensor;

import static minitron.tensor.KernelChecks.F32_ATOL;
import static minitron.tensor.KernelChecks.F32_RTOL;
import static minitron.tensor.KernelChecks.ODD_SIZES;
import static minitron.tensor.KernelChecks.matchesScalar;
import static minitron.tensor.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** RMSNorm, RoPE and embedding: the reference against their formulas, and every backend against the reference. */
class NormRopeTest {

    /** F64 reference vs an F64 formula written differently: rounding order only. */
    private static final double FORMULA_TOL = 1e-12;
    private static final double EPS = 1e-5;

    /**
     * The scatter-added gradient is an F32 sum of up to three values in [-1, 1) (rounded once per addition), the
     * expected value a double sum of the same F32 values: they differ by at most 3 half-ulps of 2 (3 * 1.2e-7).
     */
    private static final double F32_SUM3_TOL = 3.6e-7;

    // ------------------------------------------------------------------ RMSNorm

    @Test
    void referenceRmsNormIsTheFormula() {
        Tensor x = KernelChecks.uniform64(1, 3, 7);
        Tensor w = KernelChecks.uniform64(2, 7);
        Tensor out = Ops.of(Backends.scalar()).rmsNorm(x, w, EPS);
        for (int r = 0; r < 3; r++) {
            double ss = 0;
            for (int c = 0; c < 7; c++) ss += x.get(r, c) * x.get(r, c);
            double rms = Math.sqrt(ss / 7 + EPS);
            for (int c = 0; c < 7; c++) {
                assertEquals(x.get(r, c) / rms * w.get(c), out.get(r, c), FORMULA_TOL, "rmsNorm (" + r + ", " + c + ")");
            }
        }
    }

    @Test
    void referenceRmsNormBackwardMatchesFiniteDifferences() {
        Ops ops = Ops.of(Backends.scalar());
        Tensor x = KernelChecks.uniform64(3, 3, 5);
        Tensor w = KernelChecks.uniform64(4, 5);
        Tensor dy = KernelChecks.uniform64(5, 3, 5);
        Ops.RmsNormGrads grads = ops.rmsNormBackward(x, w, EPS, dy);
        KernelChecks.gradCheck("rmsNorm d/dx", x, dy, xx -> ops.rmsNorm(xx, w, EPS), grads.dx());
        KernelChecks.gradCheck("rmsNorm d/dweight", w, dy, ww -> ops.rmsNorm(x, ww, EPS), grads.dweight());
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void rmsNormAndBackwardMatchScalar(Backend backend) {
        for (int n : ODD_SIZES) {
            Tensor x = TestTensors.strided(n, 2, 3, n);
            Tensor dy = TestTensors.uniform(n + 1, n, 6).transpose(0, 1).reshape(2, 3, n);
            for (DType wType : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                Tensor w = TestTensors.uniform(n + 2, wType, n);
                String what = " n=" + n + " weight " + wType;
                matchesScalar(backend, "rmsNorm" + what, F32_ATOL, F32_RTOL, ops -> ops.rmsNorm(x, w, EPS));
                matchesScalar(backend, "rmsNormBackward dx" + what, F32_ATOL, F32_RTOL,
                        ops -> ops.rmsNormBackward(x, w, EPS, dy).dx());
                matchesScalar(backend, "rmsNormBackward dweight" + what, F32_ATOL, F32_RTOL,
                        ops -> ops.rmsNormBackward(x, w, EPS, dy).dweight());
            }
        }
    }

    // ------------------------------------------------------------------ RoPE

    private static Ops.RopeTables tables(int t, int d, DType dtype) {
        int[] positions = new int[t];
        for (int i = 0; i < t; i++) positions[i] = 3 + 5 * i; // arbitrary positions, not 0..T-1
        return Ops.ropeTables(positions, Ops.ropeInverseFrequencies(d, 10000), dtype);
    }

    @Test
    void referenceRopeIsRotateHalfAndNegatedSinInvertsIt() {
        Ops ops = Ops.of(Backends.scalar());
        int b = 2, h = 3, t = 4, d = 6, half = d / 2;
        Tensor x = KernelChecks.uniform64(6, b, h, t, d);
        Ops.RopeTables tables = tables(t, d, DType.F64);
        Tensor out = ops.rope(x, tables);
        double[] inv = Ops.ropeInverseFrequencies(d, 10000);
        for (int i0 = 0; i0 < b; i0++) {
            for (int i1 = 0; i1 < h; i1++) {
                for (int i2 = 0; i2 < t; i2++) {
                    double pos = 3 + 5 * i2;
                    for (int i = 0; i < half; i++) {
                        // a 2-D rotation of the pair (x[i], x[i + half]) by angle pos * invFreq[i]
                        double angle = pos * inv[i], c = Math.cos(angle), s = Math.sin(angle);
                        double x1 = x.get(i0, i1, i2, i), x2 = x.get(i0, i1, i2, i + half);
                        assertEquals(x1 * c - x2 * s, out.get(i0, i1, i2, i), FORMULA_TOL, "rope first half");
                        assertEquals(x2 * c + x1 * s, out.get(i0, i1, i2, i + half), FORMULA_TOL, "rope second half");
                    }
                }
            }
        }
        Ops.RopeTables inverse = new Ops.RopeTables(tables.cos(), ops.scale(tables.sin(), -1));
        assertClose(x, ops.rope(out, inverse), FORMULA_TOL, FORMULA_TOL, "rope with -sin undoes rope");
        // the backward is rope with -sin: check it as a gradient too
        Tensor w = KernelChecks.uniform64(7, b, h, t, d);
        KernelChecks.gradCheck("rope d/dx", x, w, xx -> ops.rope(xx, tables), ops.rope(w, inverse));
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void ropeMatchesScalar(Backend backend) {
        for (int d : new int[]{2, 6, 34, 62, 66, 128}) { // halves of 1, 3, 17, 31, 33, 64
            int b = 2, h = 3, t = 5;
            Ops.RopeTables tables = tables(t, d, DType.F32);
            Tensor contiguous = TestTensors.uniform(d, b, h, t, d);
            // q as the model makes it: (B, T, H, D) transposed to (B, H, T, D), last axis still contiguous
            Tensor transposed = TestTensors.uniform(d + 1, b, t, h, d).transpose(1, 2);
            Tensor strided = TestTensors.strided(d + 2, b, h, t, d);
            for (Tensor x : new Tensor[]{contiguous, transposed, strided}) {
                matchesScalar(backend, "rope d=" + d, F32_ATOL, F32_RTOL, ops -> ops.rope(x, tables));
            }
            Ops.RopeTables bf16 = new Ops.RopeTables(tables.cos().to(DType.BF16), tables.sin().to(DType.BF16));
            matchesScalar(backend, "rope BF16 tables d=" + d, F32_ATOL, F32_RTOL, ops -> ops.rope(contiguous, bf16));
        }
    }

    // ------------------------------------------------------------------ embedding

    @Test
    void referenceEmbeddingGathersRowsAndBackwardScatterAddsRepeatedIds() {
        Ops ops = Ops.of(Backends.scalar());
        Tensor table = TestTensors.uniform(8, 5, 3);
        Tensor ids = Tensor.of(new int[]{4, 1, 4, 0, 4, 1}, 2, 3);
        Tensor out = ops.embedding(table, ids);
        assertEquals(Shape.of(2, 3, 3), out.shape());
        for (int i = 0; i < 6; i++) {
            for (int c = 0; c < 3; c++) assertEquals(table.get(ids.toIntArray()[i], c), out.get(i / 3, i % 3, c), 0.0);
        }
        Tensor dout = TestTensors.uniform(9, 2, 3, 3);
        Tensor dtable = ops.embeddingBackward(ids, dout, 5);
        double[] g = dout.toDoubleArray();
        for (int c = 0; c < 3; c++) {
            assertEquals(g[3 * 3 + c], dtable.get(0, c), F32_SUM3_TOL, "id 0 once");
            assertEquals(g[1 * 3 + c] + g[5 * 3 + c], dtable.get(1, c), F32_SUM3_TOL, "id 1 twice");
            assertEquals(0.0, dtable.get(2, c), 0.0, "id 2 never");
            assertEquals(0.0, dtable.get(3, c), 0.0, "id 3 never");
            assertEquals(g[c] + g[2 * 3 + c] + g[4 * 3 + c], dtable.get(4, c), F32_SUM3_TOL, "id 4 three times");
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void embeddingAndBackwardMatchScalar(Backend backend) {
        for (int d : ODD_SIZES) {
            int vocab = 11;
            Tensor ids = TestTensors.ids(d, vocab, 3, 7); // 21 ids over 11 rows: repeats guaranteed
            for (DType dtype : new DType[]{DType.F32, DType.BF16, DType.F16}) {
                Tensor table = TestTensors.uniform(d, dtype, vocab, d);
                matchesScalar(backend, "embedding " + dtype + " d=" + d, 0, 0, ops -> ops.embedding(table, ids));
            }
            Tensor strided = TestTensors.strided(d, vocab, d);
            matchesScalar(backend, "embedding strided table d=" + d, 0, 0, ops -> ops.embedding(strided, ids));
            Tensor transposed = TestTensors.uniform(d, d, vocab).transpose(0, 1);
            matchesScalar(backend, "embedding transposed table d=" + d, 0, 0, ops -> ops.embedding(transposed, ids));
            Tensor dout = TestTensors.strided(d + 1, 3, 7, d);
            matchesScalar(backend, "embeddingBackward d=" + d, F32_ATOL, F32_RTOL,
                    ops -> ops.embeddingBackward(ids, dout, vocab));
        }
    }
}

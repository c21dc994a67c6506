package minitron.tensor;

import static minitron.tensor.KernelChecks.EXACT;
import static minitron.tensor.KernelChecks.F32_ATOL;
import static minitron.tensor.KernelChecks.F32_RTOL;
import static minitron.tensor.KernelChecks.ODD_SIZES;
import static minitron.tensor.KernelChecks.matchesScalar;
import static minitron.tensor.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Copy, fill, unary, binary (with broadcasting) and SwiGLU: every backend against the scalar reference. */
class ElementwiseTest {

    /** F64 reference vs the same F64 formula composed from two ops: at most a couple of rounding steps apart. */
    private static final double F64_COMPOSED_TOL = 1e-15;

    /** Ops whose F32 result is one correctly rounded operation, so the vector backend must match exactly. */
    static final Set<UnaryOp> CORRECTLY_ROUNDED =
            EnumSet.of(UnaryOp.NEG, UnaryOp.SQRT, UnaryOp.SQUARE, UnaryOp.ABS, UnaryOp.RELU, UnaryOp.RECIPROCAL);

    /** Inputs in each op's domain: positive for log, sqrt, rsqrt, reciprocal; spread over [-6, 6) otherwise. */
    private static Tensor input(UnaryOp op, Tensor uniform, Ops ops) {
        return switch (op) {
            case LOG, SQRT, RSQRT, RECIPROCAL -> ops.addScalar(ops.unary(UnaryOp.ABS, ops.scale(uniform, 4)), 0.05);
            default -> ops.scale(uniform, 6);
        };
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void unaryMatchesScalarOnOddSizesAndViews(Backend backend) {
        for (UnaryOp op : UnaryOp.values()) {
            double atol = CORRECTLY_ROUNDED.contains(op) ? EXACT : F32_ATOL;
            double rtol = CORRECTLY_ROUNDED.contains(op) ? EXACT : F32_RTOL;
            for (int n : ODD_SIZES) {
                matchesScalar(backend, op + " contiguous n=" + n, atol, rtol,
                        ops -> ops.unary(op, input(op, TestTensors.uniform(n, 3, n), Ops.cpu())));
                // input() allocates contiguous results; apply op to a strided and a transposed view of it
                Tensor strided = input(op, TestTensors.strided(n, 3, n), Ops.of(Backends.scalar()));
                matchesScalar(backend, op + " strided n=" + n, atol, rtol,
                        ops -> ops.unary(op, strided.transpose(0, 1)));
                Tensor wide = input(op, TestTensors.uniform(n + 7, 5, n + 2), Ops.of(Backends.scalar())).slice(1, 1, n + 1);
                matchesScalar(backend, op + " sliced n=" + n, atol, rtol, ops -> ops.unary(op, wide));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void unaryHandlesSpecialValues(Backend backend) {
        float[] special = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 100f, -100f, 1e-30f};
        for (UnaryOp op : UnaryOp.values()) {
            matchesScalar(backend, op + " special values", F32_ATOL, F32_RTOL,
                    ops -> ops.unary(op, Tensor.of(special.clone(), special.length)));
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void reluKeepsNaNAsPyTorch(Backend backend) {
        // NaN in every lane position of a vector and in the tail; torch.relu(nan) is nan, not 0
        for (DType dtype : new DType[]{DType.F32, DType.F64}) {
            for (int n : ODD_SIZES) {
                Tensor x = Tensor.zeros(dtype, n);
                for (int i = 0; i < n; i++) x.writeDouble(i, i % 3 == 0 ? Double.NaN : i % 3 == 1 ? -i : i);
                Tensor y = Ops.of(backend).unary(UnaryOp.RELU, x);
                for (int i = 0; i < n; i++) {
                    double expected = i % 3 == 0 ? Double.NaN : i % 3 == 1 ? 0 : i;
                    assertEquals(expected, y.readDouble(i), dtype + " relu at " + i + " of " + n);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void binaryMatchesScalarForEveryBroadcastPattern(Backend backend) {
        for (BinaryOp op : BinaryOp.values()) {
            double tol = op == BinaryOp.POW ? F32_RTOL : EXACT;
            double atol = op == BinaryOp.POW ? F32_ATOL : EXACT;
            for (int n : ODD_SIZES) {
                Tensor a = base(op, TestTensors.uniform(1, 4, n));
                Tensor b = TestTensors.uniform(2, 4, n);
                String at = op + " n=" + n;
                matchesScalar(backend, at + " contiguous", atol, tol, ops -> ops.binary(op, a, b));
                matchesScalar(backend, at + " scalar right", atol, tol, ops -> ops.binary(op, a, Tensor.scalar(0.75f)));
                matchesScalar(backend, at + " scalar left", atol, tol,
                        ops -> ops.binary(op, base(op, Tensor.scalar(-0.5f)), b));
                matchesScalar(backend, at + " row (n) over (4, n)", atol, tol,
                        ops -> ops.binary(op, a, TestTensors.uniform(3, n)));
                matchesScalar(backend, at + " row (1, n) on the left", atol, tol,
                        ops -> ops.binary(op, base(op, TestTensors.uniform(4, 1, n)), b));
                matchesScalar(backend, at + " column (4, 1) against (1, n)", atol, tol,
                        ops -> ops.binary(op, base(op, TestTensors.uniform(5, 4, 1)), TestTensors.uniform(6, 1, n)));
                matchesScalar(backend, at + " strided", atol, tol,
                        ops -> ops.binary(op, base(op, TestTensors.strided(7, 4, n)), TestTensors.strided(8, 4, n)));
                matchesScalar(backend, at + " transposed", atol, tol,
                        ops -> ops.binary(op, base(op, TestTensors.uniform(9, n, 4)).transpose(0, 1), b));
                matchesScalar(backend, at + " rank 3 with middle broadcast", atol, tol,
                        ops -> ops.binary(op, base(op, TestTensors.uniform(10, 2, 1, n)), TestTensors.uniform(11, 2, 3, n)));
            }
        }
    }

    /** POW needs a positive base for real results. */
    private static Tensor base(BinaryOp op, Tensor t) {
        if (op != BinaryOp.POW) return t;
        return Ops.of(Backends.scalar()).addScalar(Ops.of(Backends.scalar()).unary(UnaryOp.ABS, t), 0.1);
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void broadcastFollowsNumpyShapes(Backend backend) {
        Ops ops = Ops.of(backend);
        // (3, 1) + (1, 4) -> (3, 4) with out[i, j] = a[i] + b[j]
        Tensor a = Tensor.of(new float[]{1, 2, 3}, 3, 1);
        Tensor b = Tensor.of(new float[]{10, 20, 30, 40}, 1, 4);
        Tensor sum = ops.add(a, b);
        assertEquals(Shape.of(3, 4), sum.shape());
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 4; j++) assertEquals((i + 1) + 10 * (j + 1), sum.get(i, j), 0.0);
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void copyMatchesScalarForViewsAndDtypes(Backend backend) {
        Ops ops = Ops.of(backend);
        for (int n : ODD_SIZES) {
            Tensor src = TestTensors.uniform(n, 3, n);
            // contiguous same dtype, strided source, strided destination
            assertClose(src, ops.contiguous(src), EXACT, EXACT, "copy contiguous");
            Tensor strided = TestTensors.strided(n, 3, n);
            assertClose(Ops.of(Backends.scalar()).contiguous(strided), ops.contiguous(strided), EXACT, EXACT, "copy strided");
            Tensor transposed = src.transpose(0, 1);
            assertClose(Ops.of(Backends.scalar()).contiguous(transposed), ops.contiguous(transposed), EXACT, EXACT,
                    "copy transposed");
            Tensor big = Tensor.zeros(DType.F32, 5, n + 3);
            ops.copyInto(src, big.slice(0, 1, 4).slice(1, 2, n + 2));
            for (int i = 0; i < 3; i++) {
                for (int j = 0; j < n; j++) assertEquals(src.get(i, j), big.get(i + 1, j + 2), 0.0, "copy into a view");
            }
            assertEquals(0.0, big.get(0, 0), 0.0, "copy into a view leaves the rest alone");
            // conversions both ways, against the scalar reference (round to nearest even on the way down)
            for (DType half : new DType[]{DType.BF16, DType.F16}) {
                Tensor expectedHalf = Tensor.zeros(half, 3, n);
                Backends.scalar().copy(src, expectedHalf);
                Tensor actualHalf = Tensor.zeros(half, 3, n);
                backend.copy(src, actualHalf);
                assertClose(expectedHalf, actualHalf, EXACT, EXACT, "F32 -> " + half);
                Tensor back = Tensor.zeros(DType.F32, 3, n);
                backend.copy(actualHalf, back);
                assertClose(expectedHalf, back, EXACT, EXACT, half + " -> F32");
                Tensor backTransposed = Tensor.zeros(DType.F32, n, 3);
                backend.copy(actualHalf.transpose(0, 1), backTransposed);
                assertClose(expectedHalf.transpose(0, 1), backTransposed, EXACT, EXACT, half + " transposed -> F32");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void fillWritesEveryElementOfTheView(Backend backend) {
        Tensor t = Tensor.zeros(DType.F32, 4, 17);
        backend.fill(t, 2.5);
        for (double v : t.toDoubleArray()) assertEquals(2.5, v, 0.0);
        backend.fill(t.slice(1, 3, 5), -1);
        assertEquals(-1, t.get(2, 3), 0.0);
        assertEquals(2.5, t.get(2, 5), 0.0);
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void swigluAndBackwardMatchScalar(Backend backend) {
        for (int n : ODD_SIZES) {
            Tensor gate = Ops.of(Backends.scalar()).scale(TestTensors.uniform(n, 3, n), 8);
            Tensor up = TestTensors.strided(n + 1, 3, n);
            Tensor dy = TestTensors.uniform(n + 2, n, 3).transpose(0, 1);
            matchesScalar(backend, "swiglu n=" + n, F32_ATOL, F32_RTOL, ops -> ops.swiglu(gate, up));
            matchesScalar(backend, "swigluBackward dgate n=" + n, F32_ATOL, F32_RTOL,
                    ops -> ops.swigluBackward(gate, up, dy).dgate());
            matchesScalar(backend, "swigluBackward dup n=" + n, F32_ATOL, F32_RTOL,
                    ops -> ops.swigluBackward(gate, up, dy).dup());
        }
    }

    @org.junit.jupiter.api.Test
    void swigluReferenceIsSiluTimesUpAndItsBackwardMatchesFiniteDifferences() {
        Ops ops = Ops.of(Backends.scalar());
        Tensor gate = KernelChecks.uniform64(1, 3, 5);
        Tensor up = KernelChecks.uniform64(2, 3, 5);
        Tensor w = KernelChecks.uniform64(3, 3, 5);
        assertClose(ops.mul(ops.unary(UnaryOp.SILU, gate), up), ops.swiglu(gate, up), F64_COMPOSED_TOL, F64_COMPOSED_TOL,
                "swiglu definition");
        Ops.SwigluGrads grads = ops.swigluBackward(gate, up, w);
        KernelChecks.gradCheck("swiglu d/dgate", gate, w, g -> ops.swiglu(g, up), grads.dgate());
        KernelChecks.gradCheck("swiglu d/dup", up, w, u -> ops.swiglu(gate, u), grads.dup());
    }
}

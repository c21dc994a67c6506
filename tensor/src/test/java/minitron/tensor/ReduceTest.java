package minitron.tensor;

import static minitron.tensor.KernelChecks.F32_ATOL;
import static minitron.tensor.KernelChecks.F32_RTOL;
import static minitron.tensor.KernelChecks.ODD_SIZES;
import static minitron.tensor.KernelChecks.matchesScalar;
import static minitron.tensor.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Sum, mean, max and argmax: the reference against plain loops, and every backend against the reference. */
class ReduceTest {

    /** The reference computes in F64 from F32 inputs and rounds once; an F64 loop over the same values must agree. */
    private static final double REFERENCE_ATOL = 1e-6;
    private static final double REFERENCE_RTOL = 1e-6;

    @Test
    void referenceReducesEveryAxisAsPlainLoopsDo() {
        Ops ops = Ops.of(Backends.scalar());
        int[] dims = {3, 4, 5};
        Tensor x = TestTensors.uniform(1, dims);
        for (int axis = 0; axis < 3; axis++) {
            for (ReduceOp op : ReduceOp.values()) {
                Tensor out = ops.reduce(op, x, axis, false);
                Shape expectedShape = x.shape().without(axis);
                assertEquals(expectedShape, out.shape(), op + " axis " + axis + " shape");
                double[] expected = new double[(int) out.numel()];
                int k = 0;
                for (int i = 0; i < dims[0]; i++) {
                    for (int j = 0; j < dims[1]; j++) {
                        for (int l = 0; l < dims[2]; l++) {
                            int[] idx = {i, j, l};
                            if (idx[axis] != 0) continue;
                            double acc = op == ReduceOp.MAX ? Double.NEGATIVE_INFINITY : 0;
                            for (int r = 0; r < dims[axis]; r++) {
                                idx[axis] = r;
                                double v = x.get(idx);
                                acc = op == ReduceOp.MAX ? Math.max(acc, v) : acc + v;
                            }
                            expected[k++] = op == ReduceOp.MEAN ? acc / dims[axis] : acc;
                        }
                    }
                }
                assertClose(expected, out.toDoubleArray(), REFERENCE_ATOL, REFERENCE_RTOL, op + " axis " + axis);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void reductionsMatchScalarOnEveryAxisSizeAndLayout(Backend backend) {
        for (int n : ODD_SIZES) {
            Tensor contiguous = TestTensors.uniform(n, 3, n, 5);
            Tensor strided = TestTensors.strided(n, 3, n, 5);
            Tensor permuted = TestTensors.uniform(n, 5, 3, n).permute(1, 2, 0);
            for (ReduceOp op : ReduceOp.values()) {
                for (int axis = 0; axis < 3; axis++) {
                    int a = axis;
                    String what = op + " axis " + axis + " n=" + n;
                    matchesScalar(backend, what, F32_ATOL, F32_RTOL, ops -> ops.reduce(op, contiguous, a, true));
                    matchesScalar(backend, what + " strided", F32_ATOL, F32_RTOL, ops -> ops.reduce(op, strided, a, true));
                    matchesScalar(backend, what + " permuted", F32_ATOL, F32_RTOL, ops -> ops.reduce(op, permuted, a, true));
                }
            }
            matchesScalar(backend, "sum of a long row n=" + n, F32_ATOL, F32_RTOL,
                    ops -> ops.sumAll(TestTensors.uniform(n, 7, 13 * n)));
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void argmaxMatchesScalarOnEveryAxis(Backend backend) {
        for (int n : ODD_SIZES) {
            Tensor x = TestTensors.strided(n, 4, n, 3);
            for (int axis = 0; axis < 3; axis++) {
                Tensor expected = Ops.of(Backends.scalar()).argmax(x, axis);
                Tensor actual = Ops.of(backend).argmax(x, axis);
                assertArrayEquals(expected.toIntArray(), actual.toIntArray(), "argmax axis " + axis + " n=" + n);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void argmaxTiesGoToTheFirstIndexAndNanCountsAsMaximum(Backend backend) {
        Ops ops = Ops.of(backend);
        // every row has the maximum twice; one row (length 40 spans vector chunks) has it at 3 and 35
        float[] row = new float[40];
        row[3] = 5;
        row[35] = 5;
        assertArrayEquals(new int[]{3}, ops.argmax(Tensor.of(row, 1, 40), -1).toIntArray());
        Tensor ties = Tensor.of(new float[]{1, 7, 7, 2, /* */ 4, 4, 4, 4, /* */ -1, -3, -1, -2}, 3, 4);
        assertArrayEquals(new int[]{1, 0, 0}, ops.argmax(ties, 1).toIntArray());
        assertArrayEquals(new int[]{1, 0, 0, 1}, ops.argmax(ties, 0).toIntArray());
        Tensor nan = Tensor.of(new float[]{1, Float.NaN, 9, Float.NaN, /* */ Float.NEGATIVE_INFINITY,
                Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY}, 2, 4);
        assertArrayEquals(new int[]{1, 0}, ops.argmax(nan, 1).toIntArray());
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void maxPropagatesNanAndIgnoresPaddingLanes(Backend backend) {
        Ops ops = Ops.of(backend);
        // all-negative row of 17: a kernel that padded its last vector with zeros would report 0
        float[] neg = new float[17];
        for (int i = 0; i < neg.length; i++) neg[i] = -1 - i;
        assertEquals(-1.0, ops.max(Tensor.of(neg, 17), 0, false).item(), 0.0);
        float[] withNan = {1, 2, Float.NaN, 4};
        assertEquals(Double.NaN, ops.max(Tensor.of(withNan, 4), 0, false).item(), 0.0);
    }
}

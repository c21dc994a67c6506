package minitron.tensor;

import static minitron.tensor.KernelChecks.F32_ATOL;
import static minitron.tensor.KernelChecks.F32_RTOL;
import static minitron.tensor.KernelChecks.ODD_SIZES;
import static minitron.tensor.KernelChecks.matchesScalar;
import static minitron.tensor.TensorAssert.assertClose;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Softmax, log-softmax and their backwards. */
class SoftmaxTest {

    /** Reference vs its composition from Ops primitives, both F64: only rounding order differs. */
    private static final double COMPOSED_TOL = 1e-12;

    @Test
    void referenceSoftmaxIsExpOverSumOfExp() {
        Ops ops = Ops.of(Backends.scalar());
        Tensor x = ops.scale(KernelChecks.uniform64(1, 4, 17), 30); // large values: needs the max shift
        Tensor shifted = ops.sub(x, ops.max(x, -1, true));
        Tensor e = ops.unary(UnaryOp.EXP, shifted);
        Tensor composed = ops.div(e, ops.sum(e, -1, true));
        assertClose(composed, ops.softmax(x), COMPOSED_TOL, COMPOSED_TOL, "softmax vs exp/sum");
        Tensor logComposed = ops.sub(shifted, ops.unary(UnaryOp.LOG, ops.sum(e, -1, true)));
        assertClose(logComposed, ops.logSoftmax(x), COMPOSED_TOL, COMPOSED_TOL, "logSoftmax vs x - max - log sum exp");
    }

    @Test
    void referenceBackwardsMatchFiniteDifferences() {
        Ops ops = Ops.of(Backends.scalar());
        Tensor x = KernelChecks.uniform64(2, 3, 6);
        Tensor w = KernelChecks.uniform64(3, 3, 6);
        KernelChecks.gradCheck("softmax", x, w, ops::softmax, ops.softmaxBackward(ops.softmax(x), w));
        KernelChecks.gradCheck("logSoftmax", x, w, ops::logSoftmax, ops.logSoftmaxBackward(ops.logSoftmax(x), w));
    }

    /**
     * Logits of large magnitude whose differences are small: log p must come from (x - max) - log sum, as in
     * PyTorch; max + log sum rounded to one number first loses the differences (F32 steps of 0.06 at 1e6, 8 at 1e8;
     * F64 steps of 4e22 at 3e38). Exact: log_softmax([a, a, a - 2]) = [-L, -L, -2 - L] with L = log(2 + e^-2).
     */
    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void logSoftmaxKeepsDifferencesOfLargeLogits(Backend backend) {
        double l = Math.log(2 + Math.exp(-2));
        for (float a : new float[]{1e4f, 1e6f, 1e8f, 3e38f}) {
            for (DType dtype : new DType[]{DType.F32, DType.F64}) {
                Tensor x = Tensor.of(new float[]{a, a, a - 2, -a}, 1, 4).to(dtype);
                Tensor y = Ops.of(backend).logSoftmax(x);
                // a - 2 is a itself in F32 above 2^25: then the row is [a, a, a, -a] and log p = -log 3
                boolean distinct = (float) (a - 2) != a;
                double[] want = distinct ? new double[]{-l, -l, -2 - l} : new double[]{-Math.log(3), -Math.log(3), -Math.log(3)};
                for (int c = 0; c < 3; c++) {
                    org.junit.jupiter.api.Assertions.assertEquals(want[c], y.get(0, c), 1e-6,
                            "logSoftmax at " + a + " " + dtype + " column " + c);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void forwardsMatchScalar(Backend backend) {
        for (int n : ODD_SIZES) {
            Tensor contiguous = Ops.of(Backends.scalar()).scale(TestTensors.uniform(n, 2, 3, n), 10);
            Tensor strided = TestTensors.strided(n, 3, n);
            Tensor transposed = TestTensors.uniform(n, n, 5).transpose(0, 1);
            for (Tensor x : new Tensor[]{contiguous, strided, transposed}) {
                matchesScalar(backend, "softmax n=" + n, F32_ATOL, F32_RTOL, ops -> ops.softmax(x));
                matchesScalar(backend, "logSoftmax n=" + n, F32_ATOL, F32_RTOL, ops -> ops.logSoftmax(x));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void backwardsMatchScalar(Backend backend) {
        Ops reference = Ops.of(Backends.scalar());
        for (int n : ODD_SIZES) {
            Tensor x = TestTensors.uniform(n, 3, n);
            Tensor y = reference.softmax(x), logY = reference.logSoftmax(x);
            Tensor dy = TestTensors.strided(n + 1, 3, n);
            Tensor dyT = TestTensors.uniform(n + 2, n, 3).transpose(0, 1);
            for (Tensor g : new Tensor[]{dy, dyT}) {
                matchesScalar(backend, "softmaxBackward n=" + n, F32_ATOL, F32_RTOL, ops -> ops.softmaxBackward(y, g));
                matchesScalar(backend, "logSoftmaxBackward n=" + n, F32_ATOL, F32_RTOL,
                        ops -> ops.logSoftmaxBackward(logY, g));
            }
        }
    }
}

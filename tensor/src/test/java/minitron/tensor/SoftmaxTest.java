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

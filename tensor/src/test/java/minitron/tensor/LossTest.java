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

/** Cross-entropy with an ignore index and KL divergence, forward and backward. */
class LossTest {

    /** F64 reference vs an F64 formula written differently: rounding order only. */
    private static final double FORMULA_TOL = 1e-12;
    private static final int IGNORE = -100;

    /**
     * A Llama-size vocabulary: the vector kernels sum 32000 exponentials in 16 F32 lanes of 2000 terms each. The
     * worst case for the relative error of such a sum is about 2000 * 6e-8 = 1.2e-4 (a random walk gives
     * sqrt(2000) * 6e-8 = 2.7e-6); the log-sum-exp inherits it as an absolute error. The worst case is allowed.
     */
    private static final int LARGE_VOCAB = 32000;
    private static final double LARGE_VOCAB_ATOL = 1.2e-4;

    @Test
    void referenceCrossEntropyIsNegativeLogSoftmaxAtTheTarget() {
        Ops ops = Ops.of(Backends.scalar());
        Tensor logits = ops.scale(KernelChecks.uniform64(1, 4, 9), 5);
        Tensor targets = Tensor.of(new int[]{3, IGNORE, 0, 8}, 4);
        Ops.CrossEntropyResult ce = ops.crossEntropy(logits, targets, IGNORE);
        Tensor logp = ops.logSoftmax(logits);
        for (int r = 0; r < 4; r++) {
            int t = targets.toIntArray()[r];
            double expected = t == IGNORE ? 0 : -logp.get(r, t);
            assertEquals(expected, ce.loss().get(r), FORMULA_TOL, "cross-entropy row " + r);
            assertEquals(logits.get(r, 0) - logp.get(r, 0), ce.lse().get(r), FORMULA_TOL, "lse row " + r);
        }
        Tensor dloss = KernelChecks.uniform64(2, 4);
        Tensor dlogits = ops.crossEntropyBackward(logits, targets, IGNORE, ce, dloss);
        for (int c = 0; c < 9; c++) assertEquals(0.0, dlogits.get(1, c), 0.0, "ignored row has zero gradient");
        KernelChecks.gradCheck("crossEntropy d/dlogits", logits, dloss,
                x -> ops.crossEntropy(x, targets, IGNORE).loss(), dlogits);
    }

    @Test
    void referenceKlIsTheFormulaAndItsBackwardMatchesFiniteDifferences() {
        Ops ops = Ops.of(Backends.scalar());
        Tensor student = ops.scale(KernelChecks.uniform64(3, 3, 7), 3);
        Tensor teacher = ops.scale(KernelChecks.uniform64(4, 3, 7), 3);
        for (double temperature : new double[]{1.0, 2.5}) {
            Tensor kl = ops.klDivergence(student, teacher, temperature);
            Tensor logPs = ops.logSoftmax(ops.scale(student, 1 / temperature));
            Tensor logPt = ops.logSoftmax(ops.scale(teacher, 1 / temperature));
            for (int r = 0; r < 3; r++) {
                double expected = 0;
                for (int c = 0; c < 7; c++) {
                    expected += Math.exp(logPt.get(r, c)) * (logPt.get(r, c) - logPs.get(r, c));
                }
                assertEquals(expected, kl.get(r), FORMULA_TOL, "KL row " + r + " T=" + temperature);
            }
            Tensor dloss = KernelChecks.uniform64(5, 3);
            KernelChecks.gradCheck("KL d/dstudent T=" + temperature, student, dloss,
                    x -> ops.klDivergence(x, teacher, temperature),
                    ops.klDivergenceBackward(student, teacher, temperature, dloss));
        }
        assertClose(Tensor.zeros(DType.F64, 3), ops.klDivergence(student, student, 1.0), FORMULA_TOL, 0, "KL(p || p) = 0");
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void crossEntropyMatchesScalar(Backend backend) {
        Ops reference = Ops.of(Backends.scalar());
        for (int v : ODD_SIZES) {
            int rows = 5;
            Tensor targets = TestTensors.ids(v, v, rows);
            targets.set(IGNORE, 2);
            Tensor contiguous = reference.scale(TestTensors.uniform(v, rows, v), 8);
            Tensor transposed = TestTensors.uniform(v + 1, v, rows).transpose(0, 1);
            Tensor dloss = TestTensors.uniform(v + 2, rows);
            for (Tensor logits : new Tensor[]{contiguous, transposed, TestTensors.strided(v + 3, rows, v)}) {
                matchesScalar(backend, "crossEntropy loss V=" + v, F32_ATOL, F32_RTOL,
                        ops -> ops.crossEntropy(logits, targets, IGNORE).loss());
                matchesScalar(backend, "crossEntropy lse V=" + v, F32_ATOL, F32_RTOL,
                        ops -> ops.crossEntropy(logits, targets, IGNORE).lse());
                Ops.CrossEntropyResult saved = reference.crossEntropy(logits, targets, IGNORE);
                matchesScalar(backend, "crossEntropyBackward V=" + v, F32_ATOL, F32_RTOL,
                        ops -> ops.crossEntropyBackward(logits, targets, IGNORE, saved, dloss));
            }
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void klDivergenceMatchesScalar(Backend backend) {
        Ops reference = Ops.of(Backends.scalar());
        for (int v : ODD_SIZES) {
            Tensor student = reference.scale(TestTensors.uniform(v, 4, v), 6);
            Tensor teacher = TestTensors.uniform(v + 1, v, 4).transpose(0, 1);
            Tensor dloss = TestTensors.uniform(v + 2, 4);
            for (double temperature : new double[]{1.0, 0.5, 3.0}) {
                matchesScalar(backend, "KL V=" + v + " T=" + temperature, F32_ATOL, F32_RTOL,
                        ops -> ops.klDivergence(student, teacher, temperature));
                matchesScalar(backend, "KL backward V=" + v + " T=" + temperature, F32_ATOL, F32_RTOL,
                        ops -> ops.klDivergenceBackward(student, teacher, temperature, dloss));
            }
        }
    }

    /**
     * Logits near 1e6 that differ by 2: the loss is -log p(target) formed as (max - x[t]) + log sum exp(x - max),
     * exact to F32 rounding; lse - x[t] with lse rounded to one float first was off by up to 0.03 (steps of 0.06).
     * Exact: the row [a, a, a - 2] gives L = log(2 + e^-2) at the first target and 2 + L at the last.
     */
    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void crossEntropyOfLargeLogitsIsExact(Backend backend) {
        double l = Math.log(2 + Math.exp(-2));
        Tensor logits = Tensor.of(new float[]{1e6f, 1e6f, 1e6f - 2, 1e6f, 1e6f, 1e6f - 2}, 2, 3);
        Tensor loss = Ops.of(backend).crossEntropy(logits, Tensor.of(new int[]{0, 2}, 2), IGNORE).loss();
        assertEquals(l, loss.get(0), 1e-6, "cross-entropy at 1e6, target 0");
        assertEquals(2 + l, loss.get(1), 1e-6, "cross-entropy at 1e6, target 2");
    }

    /**
     * A teacher logit of -inf is a probability of 0, whose term p_t (log p_t - log p_s) is 0 (its limit; PyTorch's
     * kl_div with a target probability of 0 likewise), not 0 * -inf = NaN. Student [1, 2, 3], teacher [0, -inf, 1]:
     * p_t = [1, 0, e] / (1 + e), log p_s = [1, 2, 3] - log(e + e^2 + e^3).
     */
    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void klDivergenceOfAZeroTeacherProbabilityIsFinite(Backend backend) {
        double z = Math.log(Math.E + Math.exp(2) + Math.exp(3));
        double pt0 = 1 / (1 + Math.E), pt2 = Math.E / (1 + Math.E);
        double want = pt0 * (Math.log(pt0) - (1 - z)) + pt2 * (Math.log(pt2) - (3 - z));
        Tensor student = Tensor.of(new float[]{1, 2, 3}, 1, 3);
        Tensor teacher = Tensor.of(new float[]{0, Float.NEGATIVE_INFINITY, 1}, 1, 3);
        Ops ops = Ops.of(backend);
        assertEquals(want, ops.klDivergence(student, teacher, 1.0).get(0), 1e-6, "KL with p_t = 0 in one column");
        Tensor grad = ops.klDivergenceBackward(student, teacher, 1.0, Tensor.of(new float[]{1}, 1));
        double[] ps = {Math.exp(1 - z), Math.exp(2 - z), Math.exp(3 - z)}, pt = {pt0, 0, pt2};
        for (int c = 0; c < 3; c++) assertEquals(ps[c] - pt[c], grad.get(0, c), 1e-6, "KL backward column " + c);
    }

    /**
     * An ignored row contributes nothing, whatever its logits: its loss is 0 and so is its gradient, exactly, also
     * where the logits are all -inf or hold a NaN (the row's lse is NaN). The reference computed 0 * (p - onehot)
     * = NaN there while the vector kernel wrote 0 (found by RandomViewsFuzzTest).
     */
    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void ignoredRowsHaveZeroGradientWhateverTheirLogits(Backend backend) {
        float inf = Float.NEGATIVE_INFINITY;
        Tensor logits = Tensor.of(new float[]{inf, inf, inf, /* */ 1, Float.NaN, 2, /* */ 1, 2, 3}, 3, 3);
        Tensor targets = Tensor.of(new int[]{IGNORE, IGNORE, 2}, 3);
        Ops ops = Ops.of(backend);
        Ops.CrossEntropyResult saved = ops.crossEntropy(logits, targets, IGNORE);
        assertEquals(0.0, saved.loss().get(0), 0.0, "loss of an ignored row of -inf");
        assertEquals(0.0, saved.loss().get(1), 0.0, "loss of an ignored row with a NaN");
        Tensor dlogits = ops.crossEntropyBackward(logits, targets, IGNORE, saved, Tensor.of(new float[]{1, 1, 1}, 3));
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 3; c++) assertEquals(0.0, dlogits.get(r, c), 0.0, "ignored row " + r + " column " + c);
        }
        double z = Math.log(Math.E + Math.exp(2) + Math.exp(3));
        assertEquals(Math.exp(3 - z) - 1, dlogits.get(2, 2), 1e-6, "the counted row is unaffected");
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void lossesMatchScalarAtVocabularyScale(Backend backend) {
        Ops reference = Ops.of(Backends.scalar());
        Tensor logits = reference.scale(TestTensors.uniform(20, 3, LARGE_VOCAB), 10);
        Tensor teacher = reference.scale(TestTensors.uniform(21, 3, LARGE_VOCAB), 10);
        Tensor targets = Tensor.of(new int[]{0, 31999, 12345}, 3);
        matchesScalar(backend, "crossEntropy V=32000", LARGE_VOCAB_ATOL, 0,
                ops -> ops.crossEntropy(logits, targets, IGNORE).loss());
        matchesScalar(backend, "KL V=32000", LARGE_VOCAB_ATOL, 0, ops -> ops.klDivergence(logits, teacher, 1.0));
        // probabilities of about 1/32000 with an error relative to them of the same 1.2e-4
        matchesScalar(backend, "softmax V=32000", 0, LARGE_VOCAB_ATOL, ops -> ops.softmax(logits));
    }
}

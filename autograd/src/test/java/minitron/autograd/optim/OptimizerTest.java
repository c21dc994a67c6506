package minitron.autograd.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import minitron.autograd.Var;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;
import org.junit.jupiter.api.Test;

/** Optimizers, clipping and schedules against values computed by hand from the formulas in their javadoc. */
class OptimizerTest {
    /** Hand-computed values in double: only rounding of a handful of operations separates them. */
    private static final double EXACT = 1e-15;

    private static Var param(double... values) {
        return Var.parameter(Tensor.of(values.clone(), values.length));
    }

    private static void grad(Var p, double... values) {
        p.setGrad(Tensor.of(values.clone(), values.length));
    }

    @Test
    void adamWTwoStepsByHand() {
        Var p = param(1.0);
        AdamW adam = new AdamW(List.of(p), 0.1, 0.9, 0.999, 1e-8, 0.1);
        // step 1, g = 0.5: p = 1 * (1 - 0.1*0.1) = 0.99; m = 0.05; v = 0.001 * 0.25 = 2.5e-4;
        // p -= 0.1 / (1 - 0.9) * m / (sqrt(v) / sqrt(1 - 0.999) + 1e-8) = 1 * 0.05 / (0.5 + 1e-8)
        grad(p, 0.5);
        adam.step();
        double expected1 = 0.99 - 0.05 / (0.5 + 1e-8);
        assertEquals(expected1, p.value().item(), EXACT);
        // step 2, g = -0.25: m = 0.9*0.05 - 0.1*0.25 = 0.02; v = 0.999*2.5e-4 + 0.001*0.0625 = 3.12250e-4;
        // p = p * 0.99 - 0.1/(1 - 0.81) * m / (sqrt(v)/sqrt(1 - 0.998001) + 1e-8)
        grad(p, -0.25);
        adam.step();
        double m = 0.9 * 0.05 + 0.1 * -0.25;
        double v = 0.999 * 2.5e-4 + 0.001 * 0.0625;
        double expected2 = expected1 * 0.99 - 0.1 / (1 - 0.81) * m / (Math.sqrt(v) / Math.sqrt(1 - 0.998001) + 1e-8);
        assertEquals(expected2, p.value().item(), EXACT);
        assertEquals(2, adam.stepCount());
    }

    /** F32 parameters in plain arrays take a fast path; any other view the general one: the same bits either way. */
    @Test
    void adamWGivesTheSameBitsForAViewAsForADenseParameter() {
        int rows = 37, cols = 29;
        Random random = new Random(7);
        float[] init = new float[rows * cols];
        for (int i = 0; i < init.length; i++) init[i] = (float) random.nextGaussian();
        Var dense = Var.parameter(Tensor.of(init.clone(), rows, cols));
        float[] transposed = new float[init.length];                  // (cols, rows), viewed back as (rows, cols)
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) transposed[c * rows + r] = init[r * cols + c];
        Var view = Var.parameter(Tensor.of(transposed, cols, rows).transpose(0, 1));
        assertTrue(!view.value().isContiguous());
        Map<String, Var> a = Map.of("w", dense), b = Map.of("w", view);
        AdamW denseAdam = new AdamW(a, 1e-2, 0.9, 0.95, 1e-8, 0.1);
        AdamW viewAdam = new AdamW(b, 1e-2, 0.9, 0.95, 1e-8, 0.1);
        for (int step = 0; step < 5; step++) {
            float[] g = new float[init.length];
            for (int i = 0; i < g.length; i++) g[i] = (float) (random.nextGaussian() * 1e-3);
            dense.setGrad(Tensor.of(g.clone(), rows, cols));
            view.setGrad(Tensor.of(g.clone(), rows, cols));
            denseAdam.step();
            viewAdam.step();
        }
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                assertEquals(dense.value().get(r, c), view.value().get(r, c), 0.0, "w[" + r + ", " + c + "]");
            }
        }
    }

    @Test
    void adamWWeightDecayIsDecoupledAndParametersWithoutGradientAreSkipped() {
        Var zeroGrad = param(2.0);
        Var noGrad = param(3.0);
        Map<String, Var> params = new LinkedHashMap<>();
        params.put("a", zeroGrad);
        params.put("b", noGrad);
        AdamW adam = new AdamW(params, 0.5, 0.9, 0.999, 1e-8, 0.2);
        grad(zeroGrad, 0.0);
        adam.step();
        assertEquals(2.0 * (1 - 0.5 * 0.2), zeroGrad.value().item(), EXACT); // decay only: m = 0
        assertEquals(3.0, noGrad.value().item(), 0.0);
        assertEquals(List.of("exp_avg.a", "exp_avg_sq.a", "step.a"), List.copyOf(adam.state().tensors().keySet()));
    }

    @Test
    void adamWStateRoundTripsThroughACheckpoint() {
        double[] start = {0.3, -0.7, 1.1};
        double[][] grads = {{0.1, -0.2, 0.3}, {-0.5, 0.4, 0.05}, {0.2, 0.2, -0.9}};
        Var a = param(start);
        AdamW first = new AdamW(Map.of("w", a), 0.01, 0.9, 0.95, 1e-8, 0.1);
        for (double[] g : grads) {
            grad(a, g);
            first.step();
        }
        Var b = param(start);
        AdamW second = new AdamW(Map.of("w", b), 0.01, 0.9, 0.95, 1e-8, 0.1);
        for (int s = 0; s < 2; s++) {
            grad(b, grads[s]);
            second.step();
        }
        OptimizerState saved = second.state();
        Var c = Var.parameter(b.value().copy());
        AdamW resumed = new AdamW(Map.of("w", c), 0.01, 0.9, 0.95, 1e-8, 0.1);
        resumed.loadState(saved);
        assertEquals(2, resumed.stepCount());
        grad(c, grads[2]);
        resumed.step();
        org.junit.jupiter.api.Assertions.assertArrayEquals(a.value().toDoubleArray(), c.value().toDoubleArray(), 0.0);
        OptimizerState wrong = new OptimizerState(2, Map.of("step.w", saved.tensors().get("step.w"),
                "exp_avg.w", Tensor.zeros(minitron.tensor.DType.F64, 2), // wrong shape: (2) for a (3) parameter
                "exp_avg_sq.w", saved.tensors().get("exp_avg_sq.w")));
        assertThrows(TensorException.class, () -> resumed.loadState(wrong));
    }

    @Test
    void sgdWithMomentumWeightDecayAndNesterovByHand() {
        Var p = param(1.0);
        SGD sgd = new SGD(List.of(p), 0.1, 0.9);
        grad(p, 0.5);
        sgd.step(); // b = 0.5; p = 1 - 0.05
        assertEquals(0.95, p.value().item(), EXACT);
        grad(p, 0.5);
        sgd.step(); // b = 0.9*0.5 + 0.5 = 0.95; p = 0.95 - 0.095
        assertEquals(0.855, p.value().item(), EXACT);

        Var q = param(2.0);
        SGD nesterov = new SGD(Map.of("q", q), 0.1, 0.5, 0.0, 0.1, true);
        grad(q, 1.0);
        nesterov.step(); // d = 1 + 0.1*2 = 1.2; b = 1.2; d = 1.2 + 0.5*1.2 = 1.8; q = 2 - 0.18
        assertEquals(1.82, q.value().item(), EXACT);
        Var r = param(2.0);
        SGD plain = new SGD(List.of(r), 0.1, 0.0);
        grad(r, 1.0);
        plain.step();
        assertEquals(1.9, r.value().item(), EXACT);
        assertEquals(0, plain.state().tensors().size());
    }

    @Test
    void clipGradNormScalesByMaxNormOverTotalAndReturnsTheTotal() {
        Var a = param(0, 0);
        Var b = param(0);
        Var none = param(5);
        grad(a, 3, 4);
        grad(b, 12);
        double total = GradClip.clipGradNorm(List.of(a, b, none), 1.0);
        assertEquals(13.0, total, EXACT);
        double c = 1.0 / (13.0 + 1e-6);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[]{3 * c, 4 * c}, a.grad().toDoubleArray(), EXACT);
        assertEquals(12 * c, b.grad().item(), EXACT);
        // below the threshold: returned, gradients untouched
        grad(a, 0.3, 0.4);
        b.zeroGrad();
        assertEquals(0.5, GradClip.clipGradNorm(List.of(a, b), 1.0), EXACT);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[]{0.3, 0.4}, a.grad().toDoubleArray(), 0.0);
    }

    @Test
    void clipGradNormScalesASharedGradientTensorOnce() {
        Var a = param(0, 0);
        Var b = param(0, 0);
        Tensor shared = Tensor.of(new double[]{3, 4}, 2);
        a.setGrad(shared);
        b.setGrad(shared);
        double total = GradClip.clipGradNorm(List.of(a, b), 1.0);
        assertEquals(5 * Math.sqrt(2), total, EXACT);
        double c = 1.0 / (total + 1e-6);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[]{3 * c, 4 * c}, a.grad().toDoubleArray(), EXACT);
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[]{3 * c, 4 * c}, b.grad().toDoubleArray(), EXACT);
    }

    @Test
    void clipGradNormWithANonFiniteTotalScalesAsPyTorch() {
        // torch 1.13 clip_grad_norm_([p, q], 1.0) with p.grad = [nan, 1], q.grad = [5, 5]: all nan
        Var p = param(0, 0);
        Var q = param(0, 0);
        grad(p, Double.NaN, 1);
        grad(q, 5, 5);
        assertTrue(Double.isNaN(GradClip.clipGradNorm(List.of(p, q), 1.0)));
        double[] allNaN = {Double.NaN, Double.NaN};
        org.junit.jupiter.api.Assertions.assertArrayEquals(allNaN, p.grad().toDoubleArray());
        org.junit.jupiter.api.Assertions.assertArrayEquals(allNaN, q.grad().toDoubleArray());
        // p.grad = [inf, 1]: total inf, coefficient 0: [nan, 0] and [0, 0]
        grad(p, Double.POSITIVE_INFINITY, 1);
        grad(q, 5, 5);
        assertEquals(Double.POSITIVE_INFINITY, GradClip.clipGradNorm(List.of(p, q), 1.0));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[]{Double.NaN, 0}, p.grad().toDoubleArray());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new double[]{0, 0}, q.grad().toDoubleArray());
    }

    @Test
    void invalidHyperParametersAreRejectedAsTorchOptimDoes() {
        List<Var> ps = List.of(param(1.0));
        assertMessage("AdamW: expected lr >= 0, got -0.1", () -> new AdamW(ps, -0.1, 0.9, 0.999, 1e-8, 0));
        assertMessage("AdamW: expected lr >= 0, got NaN", () -> new AdamW(ps, Double.NaN, 0.9, 0.999, 1e-8, 0));
        assertMessage("AdamW: expected beta1 in [0, 1), got 1.0", () -> new AdamW(ps, 0.1, 1.0, 0.999, 1e-8, 0));
        assertMessage("AdamW: expected beta2 in [0, 1), got -0.5", () -> new AdamW(ps, 0.1, 0.9, -0.5, 1e-8, 0));
        assertMessage("AdamW: expected eps >= 0, got -1.0E-8", () -> new AdamW(ps, 0.1, 0.9, 0.999, -1e-8, 0));
        assertMessage("AdamW: expected weight_decay >= 0, got -0.01",
                () -> new AdamW(ps, 0.1, 0.9, 0.999, 1e-8, -0.01));
        assertMessage("SGD: expected lr >= 0, got -0.1", () -> new SGD(ps, -0.1, 0));
        assertMessage("SGD: expected momentum >= 0, got -0.5", () -> new SGD(ps, 0.1, -0.5));
        Map<String, Var> named = Map.of("w", ps.get(0));
        assertMessage("SGD: expected weight_decay >= 0, got -1.0", () -> new SGD(named, 0.1, 0, 0, -1, false));
        // the boundaries are valid, as in torch.optim
        new AdamW(ps, 0, 0, 0, 0, 0);
        new SGD(ps, 0, 0);
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        assertEquals(expected, assertThrows(TensorException.class, call).getMessage());
    }

    @Test
    void schedulesByHand() {
        LrSchedule cosine = LrSchedule.cosineWithWarmup(1e-2, 1e-3, 3, 10);
        assertEquals(1e-2 / 3, cosine.lr(0), EXACT);
        assertEquals(2e-2 / 3, cosine.lr(1), EXACT);
        assertEquals(1e-2, cosine.lr(2), EXACT);
        assertEquals(1e-2, cosine.lr(3), EXACT);                             // cos(0) = 1: the peak
        assertEquals(1e-3 + 0.5 * 9e-3 * (1 + Math.cos(Math.PI * 3 / 7)), cosine.lr(6), EXACT);
        assertEquals(1e-3, cosine.lr(10), EXACT);                            // the floor from total on
        assertEquals(1e-3, cosine.lr(1000), EXACT);

        LrSchedule linear = LrSchedule.linear(1.0, 0.1, 2, 12);
        assertEquals(0.5, linear.lr(0), EXACT);
        assertEquals(1.0, linear.lr(2), EXACT);
        assertEquals(1.0 - 0.9 * 0.5, linear.lr(7), EXACT);
        assertEquals(0.1, linear.lr(12), EXACT);

        assertEquals(0.3, LrSchedule.constant(0.3).lr(12345), 0.0);
        assertThrows(TensorException.class, () -> LrSchedule.cosineWithWarmup(1, 0, 5, 5));
    }
}

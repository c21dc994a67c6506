package minitron.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import minitron.tensor.Backends;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** What backward() promises: accumulation, detach, NoGrad, zeroGrad, graph release, deep graphs, errors. */
class BackwardSemanticsTest {

    private static Var param(double... values) {
        return Var.parameter(Tensor.of(values, values.length));
    }

    @Test
    void aVarUsedSeveralTimesAccumulatesItsGradient() {
        // y = sum(x*x + x + x) -> dy/dx = 2x + 2
        Var x = param(1.5, -2.0, 0.25);
        Reductions.sumAll(x.mul(x).add(x).add(x)).backward();
        assertArrayEquals(new double[]{5.0, -2.0, 2.5}, x.grad());
    }

    @Test
    void leafGradientsAccumulateOverBackwardCallsUntilZeroGrad() {
        Var x = param(1.0, 2.0);
        Elementwise.scale(x, 3).sum().backward();
        Elementwise.scale(x, 3).sum().backward();
        assertArrayEquals(new double[]{6.0, 6.0}, x.grad());
        x.zeroGrad();
        assertNull(x.grad());
        Elementwise.scale(x, 3).sum().backward();
        assertArrayEquals(new double[]{3.0, 3.0}, x.grad());
    }

    @Test
    void detachStopsTheGradient() {
        // y = sum(x * detach(x)) -> dy/dx = detach(x) only, not 2x
        Var x = param(1.5, -2.0);
        Var d = x.detach();
        assertFalse(d.requiresGrad());
        assertSame(x.value(), d.value());
        Reductions.sumAll(x.mul(d)).backward();
        assertArrayEquals(new double[]{1.5, -2.0}, x.grad());
    }

    @Test
    void noGradRecordsNothingAndIsPerThreadAndNested() throws InterruptedException {
        Var x = param(1.0, 2.0);
        Var y;
        try (NoGrad outer = NoGrad.enter()) {
            try (NoGrad inner = NoGrad.enter()) {
                assertTrue(NoGrad.isActive());
            }
            assertTrue(NoGrad.isActive(), "closing an inner scope must keep the outer one");
            y = x.mul(x).sum();
            AtomicBoolean otherThreadActive = new AtomicBoolean(true);
            Thread other = new Thread(() -> otherThreadActive.set(NoGrad.isActive()));
            other.start();
            other.join();
            assertFalse(otherThreadActive.get(), "NoGrad must not leak into other threads");
        }
        assertFalse(NoGrad.isActive());
        assertFalse(y.requiresGrad());
        assertEquals(5.0, y.item());
        TensorException e = assertThrows(TensorException.class, y::backward);
        assertTrue(e.getMessage().contains("backward"), e.getMessage());
        assertTrue(x.mul(x).requiresGrad(), "recording resumes after the scope");
    }

    @Test
    void intermediateGradientsAreReleasedUnlessRetained() {
        Var x = param(1.0, 2.0);
        Var h = Elementwise.scale(x, 2);
        Var kept = Elementwise.exp(h).retainGrad();
        Reductions.sumAll(Elementwise.mul(kept, h)).backward();
        assertNull(h.grad(), "an op result's gradient is freed after use");
        assertNotNull(kept.grad());
        assertArrayEquals(h.value().toDoubleArray(), kept.grad()); // d/dkept sum(kept * h) = h
    }

    @Test
    void backwardTwiceThroughAReleasedGraphFailsClearly() {
        Var x = param(1.0);
        Var y = Elementwise.exp(x).sum();
        y.backward();
        TensorException e = assertThrows(TensorException.class, y::backward);
        assertTrue(e.getMessage().contains("released"), e.getMessage());
    }

    @Test
    void backwardOfANonScalarNeedsASeed() {
        Var x = param(1.0, 2.0);
        Var y = Elementwise.scale(x, 2);
        TensorException e = assertThrows(TensorException.class, y::backward);
        assertTrue(e.getMessage().contains("scalar"), e.getMessage());
        y.backward(Tensor.of(new double[]{1.0, 10.0}, 2));
        assertArrayEquals(new double[]{2.0, 20.0}, x.grad());
    }

    @Test
    void deepGraphsDoNotOverflowTheStack() {
        // 100k chained ops: a recursive topological sort would need 100k frames.
        Var x = param(0.0);
        Var h = x;
        int depth = 100_000;
        for (int i = 0; i < depth; i++) h = Elementwise.addScalar(h, 1e-3);
        Elementwise.scale(h, 2).sum().backward();
        assertArrayEquals(new double[]{2.0}, x.grad());
        assertEquals(depth * 1e-3, h.item(), 1e-9);
    }

    @Test
    void constantsGetNoGradientAndParametersMustBeFloat() {
        Var c = Var.constant(Tensor.of(new double[]{3.0}, 1));
        Var x = param(2.0);
        x.mul(c).sum().backward();
        assertNull(c.grad());
        assertArrayEquals(new double[]{3.0}, x.grad());
        assertThrows(TensorException.class, () -> Var.parameter(Tensor.zeros(DType.BF16, 2)));
        assertThrows(TensorException.class, () -> Var.parameter(Tensor.zeros(DType.I32, 2)));
    }

    @Test
    void shapeErrorsNameTheOpAndBothShapes() {
        Var a = Var.parameter(Tensor.zeros(DType.F32, 2, 3));
        Var b = Var.parameter(Tensor.zeros(DType.F32, 4));
        TensorException e = assertThrows(TensorException.class, () -> a.add(b));
        String message = e.getMessage();
        assertTrue(message.contains("add") && message.contains("(2, 3)") && message.contains("(4)"), message);
        Var w = Var.parameter(Tensor.zeros(DType.F32, 5, 4));
        e = assertThrows(TensorException.class, () -> LinearAlgebra.linear(a, w));
        assertTrue(e.getMessage().contains("linear"), e.getMessage());
    }

    @Test
    void aGradientHasItsVarsDtypeWhenF64ConstantsMixIn() {
        // torch: p (float32) * c (float64) is float64, and p.grad is float32
        Var p = Var.parameter(Tensor.of(new float[]{1, 2}, 2));
        p.mul(Var.constant(Tensor.of(new double[]{3, 4}, 2))).sum().backward();
        assertEquals(DType.F32, p.grad().dtype());
        assertArrayEquals(new double[]{3, 4}, p.grad());

        // linear's backward receives its output's dtype (F32), so its matmuls with F32 weights work
        Var w = Var.parameter(Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 3, 2));
        Var x = Var.parameter(Tensor.of(new float[]{1, 1, 2, 2}, 2, 2));
        LinearAlgebra.linear(x, w).mul(Var.constant(Tensor.of(new double[]{0.5}, 1))).sum().backward();
        assertEquals(DType.F32, w.grad().dtype());
        assertEquals(DType.F32, x.grad().dtype());
        assertArrayEquals(new double[]{1.5, 1.5, 1.5, 1.5, 1.5, 1.5}, w.grad()); // 0.5 * column sums of x
        assertArrayEquals(new double[]{4.5, 6, 4.5, 6}, x.grad());               // 0.5 * column sums of w

        // an F64 seed on an F32 result, and the same through matmul
        Var a = Var.parameter(Tensor.of(new float[]{1, 2}, 1, 2));
        a.matmul(Var.constant(Tensor.of(new float[]{3, 4}, 2, 1))).backward(Tensor.of(new double[]{2}, 1, 1));
        assertEquals(DType.F32, a.grad().dtype());
        assertArrayEquals(new double[]{6, 8}, a.grad());
    }

    @Test
    void linearAndMatmulBackwardWithAnEmptyInnerSize() {
        // torch: F.linear(x (2, 0), w (3, 0)) is zeros (2, 3); x.grad is (2, 0) and w.grad (3, 0)
        Var x = Var.parameter(Tensor.zeros(DType.F32, 2, 0));
        Var w = Var.parameter(Tensor.zeros(DType.F32, 3, 0));
        Var y = LinearAlgebra.linear(x, w);
        assertEquals(minitron.tensor.Shape.of(2, 3), y.shape());
        y.sum().backward();
        assertEquals(x.shape(), x.grad().shape());
        assertEquals(w.shape(), w.grad().shape());
        // a (2, 0) @ b (0, 4): db is (0, 4), da (2, 0); and no rows: a (0, 3) @ b (3, 4) gives db = zeros (3, 4)
        Var a = Var.parameter(Tensor.zeros(DType.F32, 2, 0));
        Var b = Var.parameter(Tensor.zeros(DType.F32, 0, 4));
        a.matmul(b).sum().backward();
        assertEquals(b.shape(), b.grad().shape());
        Var rows = Var.parameter(Tensor.zeros(DType.F32, 0, 3));
        Var c = Var.parameter(Tensor.of(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4));
        rows.matmul(c).sum().backward();
        assertArrayEquals(new double[12], c.grad());
    }

    @Test
    void crossEntropyTargetsMustHaveTheLogitsLeadingShape() {
        // (3, 2) targets hold as many rows as logits (2, 3, 5) but pair them with the wrong positions
        Var logits = Var.parameter(Tensor.zeros(DType.F32, 2, 3, 5));
        Tensor transposed = Tensor.zeros(DType.I32, 3, 2);
        for (Executable call : new Executable[]{
                () -> Losses.crossEntropy(logits, transposed),
                () -> Composite.crossEntropy(logits, transposed, Losses.IGNORE_INDEX, Losses.Reduction.MEAN)}) {
            TensorException e = assertThrows(TensorException.class, call);
            String m = e.getMessage();
            assertTrue(m.startsWith("crossEntropy: expected targets of shape logits.shape[:-1]"), m);
            assertTrue(e.getMessage().contains("got targets (3, 2)"), e.getMessage());
        }
        TensorException scalarLogits = assertThrows(TensorException.class,
                () -> Losses.crossEntropy(Var.parameter(Tensor.scalar(1f)), Tensor.zeros(DType.I32)));
        assertEquals("crossEntropy: expected logits (..., V) of rank >= 1, got logits of shape ()",
                scalarLogits.getMessage());
        double f32Loss = 1e-6; // ln 5 ~ 1.6 rounded to F32 (relative 6e-8)
        assertEquals(Math.log(5), Losses.crossEntropy(logits, Tensor.zeros(DType.I32, 2, 3)).item(), f32Loss);
    }

    @Test
    void backendScopeSelectsTheBackendAndRestoresThePreviousOne() {
        String before = Autograd.ops().backend().name();
        try (Autograd.BackendScope outer = Autograd.useBackend(Backends.scalar())) {
            assertEquals("scalar", Autograd.ops().backend().name());
        }
        assertEquals(before, Autograd.ops().backend().name());
    }

    @Test
    void aFrozenBf16WeightPassesGradientsToItsInputLikeItsF32Value() {
        // A teacher's weights stay BF16 (constants); the gradient w.r.t. the activations must be x's F32 gradient
        // through the BF16 values (exactly representable in F32, so both runs see the same numbers).
        Tensor bf16 = minitron.tensor.TestTensors.uniform(3, DType.BF16, 6, 5);
        Tensor asF32 = bf16.to(DType.F32);
        Var x1 = Var.parameter(minitron.tensor.TestTensors.uniform(4, 2, 3, 5));
        Var x2 = Var.parameter(x1.value().copy());
        Fixtures.project(LinearAlgebra.linear(x1, Var.constant(bf16))).backward();
        Fixtures.project(LinearAlgebra.linear(x2, Var.constant(asF32))).backward();
        minitron.tensor.TensorAssert.assertClose(x2.grad(), x1.grad(), 1e-6, 1e-6, "dx through a BF16 weight");
    }

    @Test
    void theDefaultBackendCanBeSetForAllThreads() {
        try {
            Autograd.setDefaultBackend(Backends.scalar());
            assertEquals("scalar", Autograd.ops().backend().name());
        } finally {
            Autograd.setDefaultBackend(null);
        }
        assertEquals(minitron.tensor.Backends.cpu().name(), Autograd.ops().backend().name());
    }

    static void assertArrayEquals(double[] expected, Tensor actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual.toDoubleArray(), 1e-12);
    }

    static void assertArrayEquals(double[] expected, double[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, 1e-12);
    }
}

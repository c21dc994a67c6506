package minitron.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import minitron.tensor.cpu.ScalarBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tensors with a size of 0, as PyTorch treats them: a sum over an empty axis is 0, a mean NaN, a product with
 * K = 0 is zeros, and ops with nothing to normalize over (softmax family, max, argmax) raise a TensorException.
 * Every Ops method runs on (2, 0) and (0, 3); none may fail with another exception type.
 */
class EmptyTensorTest {
    private static final int[][] SHAPES = {{2, 0}, {0, 3}};

    private static Tensor f32(int... dims) {
        return Tensor.zeros(DType.F32, dims);
    }

    /** Every Ops method on operands built from the empty shape (r, c), by name. */
    private static Map<String, Supplier<Object>> everyOp(Ops ops, int r, int c) {
        Tensor x = f32(r, c);
        Tensor x4 = f32(1, 1, r, c);
        Tensor ids = Tensor.zeros(DType.I32, r);
        Map<String, Supplier<Object>> calls = new LinkedHashMap<>();
        calls.put("zeros", () -> ops.zeros(DType.F32, r, c));
        calls.put("copyInto", () -> {
            ops.copyInto(x, f32(r, c));
            return null;
        });
        calls.put("contiguous", () -> ops.contiguous(x.transpose(0, 1)));
        calls.put("concat 0", () -> ops.concat(0, x, x));
        calls.put("concat 1", () -> ops.concat(1, x, x));
        calls.put("matmul x @ (c, 4)", () -> ops.matmul(x, f32(c, 4)));
        calls.put("matmul (4, r) @ x", () -> ops.matmul(f32(4, r), x));
        calls.put("matmul F64", () -> ops.matmul(x.to(DType.F64), Tensor.zeros(DType.F64, c, 4)));
        calls.put("matmul BF16 b", () -> ops.matmul(x, Tensor.zeros(DType.BF16, c, 4)));
        calls.put("linear", () -> ops.linear(x, f32(3, c)));
        calls.put("linear BF16", () -> ops.linear(x, Tensor.zeros(DType.BF16, 3, c)));
        for (UnaryOp op : UnaryOp.values()) calls.put("unary " + op, () -> ops.unary(op, x));
        for (BinaryOp op : BinaryOp.values()) calls.put("binary " + op, () -> ops.binary(op, x, f32(c)));
        calls.put("add", () -> ops.add(x, x));
        calls.put("sub", () -> ops.sub(x, x));
        calls.put("mul", () -> ops.mul(x, x));
        calls.put("div", () -> ops.div(x, x));
        calls.put("scale", () -> ops.scale(x, 2));
        calls.put("addScalar", () -> ops.addScalar(x, 2));
        for (ReduceOp op : ReduceOp.values()) {
            for (int axis = 0; axis < 2; axis++) {
                int a = axis;
                calls.put("reduce " + op + " " + a, () -> ops.reduce(op, x, a, true));
            }
        }
        calls.put("sum", () -> ops.sum(x, 1, false));
        calls.put("mean", () -> ops.mean(x, 0, false));
        calls.put("max", () -> ops.max(x, 1, false));
        calls.put("sumAll", () -> ops.sumAll(x));
        calls.put("sumTo (1, c)", () -> ops.sumTo(x, Shape.of(1, c)));
        calls.put("sumTo (c)", () -> ops.sumTo(x, Shape.of(c)));
        calls.put("argmax 0", () -> ops.argmax(x, 0));
        calls.put("argmax 1", () -> ops.argmax(x, 1));
        calls.put("softmax", () -> ops.softmax(x));
        calls.put("logSoftmax", () -> ops.logSoftmax(x));
        calls.put("softmaxBackward", () -> ops.softmaxBackward(x, x));
        calls.put("logSoftmaxBackward", () -> ops.logSoftmaxBackward(x, x));
        calls.put("rmsNorm", () -> ops.rmsNorm(x, f32(c), 1e-5));
        calls.put("rmsNormBackward", () -> ops.rmsNormBackward(x, f32(c), 1e-5, x).dweight());
        calls.put("rope", () -> ops.rope(x4, Ops.ropeTables(new int[r], new double[c / 2], DType.F32)));
        calls.put("swiglu", () -> ops.swiglu(x, x));
        calls.put("swigluBackward", () -> ops.swigluBackward(x, x, x).dgate());
        calls.put("embedding (r, c)[ids (r)]", () -> ops.embedding(x, Tensor.zeros(DType.I32, 0)));
        calls.put("embedding (3, c)[ids (r)]", () -> ops.embedding(f32(3, c), ids));
        calls.put("embeddingBackward", () -> ops.embeddingBackward(ids, f32(r, c), 3));
        calls.put("attention", () -> ops.attention(x4, x4, x4, 1, false).lse());
        calls.put("attention causal", () -> ops.attention(x4, x4, x4, 1, true).out());
        calls.put("attentionBackward", () -> {
            Ops.AttentionResult saved = ops.attention(x4, x4, x4, 1, false);
            return ops.attentionBackward(x4, x4, x4, saved, x4, 1, false).dk();
        });
        calls.put("crossEntropy", () -> ops.crossEntropy(x, ids, -100).loss());
        calls.put("crossEntropyBackward", () -> {
            Ops.CrossEntropyResult saved = ops.crossEntropy(x, ids, -100);
            return ops.crossEntropyBackward(x, ids, -100, saved, f32(r));
        });
        calls.put("klDivergence", () -> ops.klDivergence(x, x, 1));
        calls.put("klDivergenceBackward", () -> ops.klDivergenceBackward(x, x, 1, f32(r)));
        return calls;
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void everyOpReturnsAResultOrATensorException(Backend backend) {
        List<String> failures = new ArrayList<>();
        for (int[] shape : SHAPES) {
            for (Map.Entry<String, Supplier<Object>> call : everyOp(Ops.of(backend), shape[0], shape[1]).entrySet()) {
                try {
                    call.getValue().get();
                } catch (TensorException expected) {
                    // a clear error is a valid answer for an op with nothing to work on
                } catch (RuntimeException e) {
                    failures.add(call.getKey() + " on " + Shape.of(shape) + ": " + e);
                }
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " ops failed with a raw exception:\n" + String.join("\n", failures));
        }
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void reductionsOverAnEmptyAxisFollowPyTorch(Backend backend) {
        Ops ops = Ops.of(backend);
        // torch.zeros(2, 0).sum(1) = [0, 0]; .mean(1) = [nan, nan]; .sum(0) = []; torch.zeros(0, 3).sum() = 0
        assertValues(new double[]{0, 0}, ops.sum(f32(2, 0), 1, false), Shape.of(2));
        assertValues(new double[]{Double.NaN, Double.NaN}, ops.mean(f32(2, 0), -1, false), Shape.of(2));
        assertValues(new double[0], ops.sum(f32(2, 0), 0, false), Shape.of(0));
        assertValues(new double[]{0, 0, 0}, ops.sum(f32(0, 3), 0, true), Shape.of(1, 3));
        assertValues(new double[]{Double.NaN, Double.NaN, Double.NaN}, ops.mean(f32(0, 3), 0, false), Shape.of(3));
        assertValues(new double[]{0}, ops.sumAll(f32(0, 3)), Shape.scalar());
        assertValues(new double[]{0, 0, 0}, ops.sumTo(f32(0, 3), Shape.of(1, 3)), Shape.of(1, 3));
        assertValues(new double[]{0, 0, 0}, ops.sumTo(f32(0, 3), Shape.of(3)), Shape.of(3));
        assertTrue(assertThrows(TensorException.class, () -> ops.max(f32(2, 0), 1, false)).getMessage()
                .startsWith("max: "));
        assertTrue(assertThrows(TensorException.class, () -> ops.argmax(f32(0, 3), 0)).getMessage()
                .startsWith("argmax: "));
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void productsWithAnEmptySizeFollowPyTorch(Backend backend) {
        Ops ops = Ops.of(backend);
        Tensor ones = ops.addScalar(f32(4, 3), 1); // nonzero operands: a result of 0 comes from K = 0 alone
        // K = 0: torch.zeros(2, 0) @ torch.zeros(0, 4) is zeros (2, 4)
        assertValues(new double[8], ops.matmul(f32(2, 0), f32(0, 4)), Shape.of(2, 4));
        assertValues(new double[8], ops.matmul(Tensor.zeros(DType.F64, 2, 0), Tensor.zeros(DType.F64, 0, 4)),
                Shape.of(2, 4));
        // M = 0 or N = 0: an empty result
        assertValues(new double[0], ops.matmul(f32(0, 4), ones), Shape.of(0, 3));
        assertValues(new double[0], ops.matmul(Tensor.zeros(DType.F64, 0, 4), ones.to(DType.F64)), Shape.of(0, 3));
        assertValues(new double[0], ops.matmul(ones, f32(3, 0)), Shape.of(4, 0));
        assertValues(new double[0], ops.matmul(f32(0, 2, 4), ones), Shape.of(0, 2, 3));
        // F.linear(torch.zeros(2, 0), torch.zeros(3, 0)) is zeros (2, 3); x (0, 3) gives (0, 4)
        assertValues(new double[6], ops.linear(f32(2, 0), f32(3, 0)), Shape.of(2, 3));
        assertValues(new double[6], ops.linear(f32(2, 0), Tensor.zeros(DType.BF16, 3, 0)), Shape.of(2, 3));
        assertValues(new double[0], ops.linear(f32(0, 3), ones), Shape.of(0, 4));
        assertValues(new double[0], ops.linear(f32(2, 5, 0, 3), ones), Shape.of(2, 5, 0, 4));
    }

    @ParameterizedTest
    @MethodSource("minitron.tensor.TestTensors#backends")
    void anEmptyLastAxisHasNoDistribution(Backend backend) {
        Ops ops = Ops.of(backend);
        Tensor empty = f32(2, 0);
        for (Map.Entry<String, Supplier<Object>> call : Map.<String, Supplier<Object>>of(
                "softmax", () -> ops.softmax(empty),
                "logSoftmax", () -> ops.logSoftmax(empty),
                "klDivergence", () -> ops.klDivergence(empty, empty, 1),
                "crossEntropy", () -> ops.crossEntropy(empty, Tensor.of(new int[]{-100, -100}, 2), -100)).entrySet()) {
            String m = assertThrows(TensorException.class, call.getValue()::get, call.getKey()).getMessage();
            assertEquals(call.getKey() + ": expected a tensor with a non-empty last axis, got shape (2, 0)", m);
        }
    }

    /** The reference backend itself, called without Ops' checks, handles sizes of 0 as the specification. */
    @org.junit.jupiter.api.Test
    void theScalarBackendHandlesEmptySizesWithoutOps() {
        ScalarBackend scalar = new ScalarBackend();
        Tensor sums = f32(2, 1);
        scalar.reduce(ReduceOp.SUM, f32(2, 0), 1, sums);
        assertValues(new double[]{0, 0}, sums, Shape.of(2, 1));
        Tensor means = f32(2, 1);
        scalar.reduce(ReduceOp.MEAN, f32(2, 0), 1, means);
        assertValues(new double[]{Double.NaN, Double.NaN}, means, Shape.of(2, 1));
        Tensor product = Tensor.of(new double[]{7, 7, 7, 7}, 2, 2); // overwritten with the empty sums
        scalar.matmul(Tensor.zeros(DType.F64, 2, 0), Tensor.zeros(DType.F64, 0, 2), product);
        assertValues(new double[4], product, Shape.of(2, 2));
        scalar.matmul(Tensor.zeros(DType.F64, 0, 2), Tensor.zeros(DType.F64, 2, 3), Tensor.zeros(DType.F64, 0, 3));
        Tensor kl = f32(2);
        scalar.klDivergence(f32(2, 0), f32(2, 0), 1, kl); // no terms: 0
        assertValues(new double[]{0, 0}, kl, Shape.of(2));
    }

    private static void assertValues(double[] expected, Tensor actual, Shape shape) {
        assertEquals(shape, actual.shape());
        assertArrayEquals(expected, actual.toDoubleArray()); // exact: 0, NaN, or nothing
    }
}

package minitron.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import minitron.tensor.BinaryOp;
import minitron.tensor.DType;
import minitron.tensor.ReduceOp;
import minitron.tensor.Tensor;
import minitron.tensor.TestTensors;
import minitron.tensor.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * The vector kernels take their fast path for the layouts a model produces, and decline (so the reference runs)
 * for F64. Without this, a kernel that always declined would pass every comparison against the reference while
 * never running: the comparison tests only prove that whatever ran was right.
 */
class FastPathTest {

    @Test
    void elementwiseKernelsTakeTheFastPathForModelLayouts() {
        Tensor a = TestTensors.uniform(1, 5, 33), b = TestTensors.uniform(2, 5, 33), out = Tensor.zeros(DType.F32, 5, 33);
        assertTrue(VectorElementwise.unary(UnaryOp.SILU, a, out));
        assertTrue(VectorElementwise.unary(UnaryOp.EXP, a.transpose(0, 1).transpose(0, 1), out));
        assertTrue(VectorElementwise.binary(BinaryOp.ADD, a, b, out), "both contiguous");
        assertTrue(VectorElementwise.binary(BinaryOp.MUL, a, Tensor.scalar(2f).expand(5, 33), out), "scalar");
        assertTrue(VectorElementwise.binary(BinaryOp.ADD, a, TestTensors.uniform(3, 33).expand(5, 33), out), "bias row");
        assertTrue(VectorElementwise.binary(BinaryOp.SUB, a, TestTensors.uniform(3, 5, 1).expand(5, 33), out), "column");
        assertTrue(VectorElementwise.binary(BinaryOp.DIV, TestTensors.uniform(4, 33, 5).transpose(0, 1), b, out), "transposed");
        assertTrue(VectorElementwise.binary(BinaryOp.ADD, TestTensors.uniform(5, DType.BF16, 5, 33), b, out), "BF16");
        assertTrue(VectorElementwise.swiglu(a, b, out));
        assertTrue(VectorElementwise.swigluBackward(a, b, a, out, Tensor.zeros(DType.F32, 5, 33)));
        assertTrue(VectorElementwise.copy(a, out));
        assertTrue(VectorElementwise.copy(a.transpose(0, 1), Tensor.zeros(DType.F32, 33, 5)));
        assertTrue(VectorElementwise.copy(a, Tensor.zeros(DType.BF16, 5, 33)));
        assertTrue(VectorElementwise.copy(TestTensors.uniform(6, DType.BF16, 33, 5).transpose(0, 1), out), "BF16 view");
        assertTrue(VectorElementwise.fill(out, 1));
    }

    @Test
    void rowKernelsTakeTheFastPath() {
        Tensor x = TestTensors.uniform(1, 5, 33), out = Tensor.zeros(DType.F32, 5, 33);
        Tensor rowOut = Tensor.zeros(DType.F32, 5, 1);
        assertTrue(VectorReduce.reduce(ReduceOp.SUM, x, 1, rowOut));
        assertTrue(VectorReduce.reduce(ReduceOp.MAX, x, 0, Tensor.zeros(DType.F32, 1, 33)));
        assertTrue(VectorReduce.argmax(x, 1, Tensor.zeros(DType.I32, 5, 1)));
        assertTrue(VectorReduce.argmax(x, 0, Tensor.zeros(DType.I32, 1, 33)));
        assertTrue(VectorSoftmax.softmax(x, out));
        assertTrue(VectorSoftmax.logSoftmax(x, out));
        assertTrue(VectorSoftmax.softmaxBackward(x, x, out));
        assertTrue(VectorSoftmax.logSoftmaxBackward(x, x, out));
        Tensor targets = TestTensors.ids(1, 33, 5), loss = Tensor.zeros(DType.F32, 5), lse = Tensor.zeros(DType.F32, 5);
        assertTrue(VectorSoftmax.crossEntropy(x, targets, -100, loss, lse));
        assertTrue(VectorSoftmax.crossEntropyBackward(x, targets, -100, lse, loss, out));
        assertTrue(VectorSoftmax.klDivergence(x, x, 1, loss));
        assertTrue(VectorSoftmax.klDivergenceBackward(x, x, 1, loss, out));
        Tensor w = TestTensors.uniform(2, DType.BF16, 33);
        assertTrue(VectorNorms.rmsNorm(x, w, 1e-5, out));
        assertTrue(VectorNorms.rmsNormBackward(x, w, 1e-5, x, out, Tensor.zeros(DType.F32, 33)));
        Tensor table = TestTensors.uniform(3, DType.BF16, 40, 33);
        assertTrue(VectorNorms.embedding(table, TestTensors.ids(4, 40, 5), out));
        assertTrue(VectorNorms.embeddingBackward(TestTensors.ids(4, 40, 5), x, Tensor.zeros(DType.F32, 40, 33)));
    }

    @Test
    void ropeAndAttentionTakeTheFastPath() {
        Tensor q = TestTensors.uniform(1, 1, 3, 4, 8).transpose(1, 2); // (B, H, T, D) from (B, T, H, D)
        Tensor kv = TestTensors.uniform(2, 1, 1, 5, 8);
        Tensor table = TestTensors.uniform(3, 3, 8);
        Tensor out = Tensor.zeros(DType.F32, 1, 4, 3, 8);
        assertTrue(VectorNorms.rope(q, table, table, out));
        Tensor lse = Tensor.zeros(DType.F32, 1, 4, 3);
        for (int window : new int[]{0, 2}) {   // full causal and a sliding window
            assertTrue(VectorAttention.attention(q, kv, kv, 0.3, true, window, out, lse));
            assertTrue(VectorAttention.attentionBackward(q, kv, kv, out, lse, out, 0.3, true, window,
                    Tensor.zeros(DType.F32, 1, 4, 3, 8), Tensor.zeros(DType.F32, 1, 1, 5, 8),
                    Tensor.zeros(DType.F32, 1, 1, 5, 8)));
        }
    }

    @Test
    void f64GoesToTheReference() {
        Tensor x = TestTensors.uniform(1, 3, 5).to(DType.F64);
        assertFalse(VectorElementwise.unary(UnaryOp.EXP, x, Tensor.zeros(DType.F64, 3, 5)));
        assertFalse(VectorSoftmax.softmax(x, Tensor.zeros(DType.F64, 3, 5)));
        assertFalse(VectorNorms.rmsNorm(x, x.select(0, 0), 1e-5, Tensor.zeros(DType.F64, 3, 5)));
    }
}

package minitron.tensor;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every bad argument raises a TensorException of the form "op: expected ..., got ..." naming what was found. */
class BadInputTest {
    private final Ops ops = Ops.of(Backends.cpu());

    private static void assertError(String op, Executable call, String... found) {
        TensorException e = assertThrows(TensorException.class, call, op);
        String m = e.getMessage();
        assertTrue(m.startsWith(op + ": expected "), "names the op and what it expected: " + m);
        assertTrue(m.contains(", got "), "says what it got: " + m);
        for (String f : found) assertTrue(m.contains(f), "mentions '" + f + "': " + m);
    }

    private static Tensor f32(int... dims) {
        return Tensor.zeros(DType.F32, dims);
    }

    @Test
    void matmulAndLinear() {
        assertError("matmul", () -> ops.matmul(f32(3), f32(3, 2)), "(3)");
        assertError("matmul", () -> ops.matmul(f32(2, 3), f32(4, 5)), "(2, 3)", "(4, 5)");
        assertError("matmul", () -> ops.matmul(Tensor.zeros(DType.BF16, 2, 3), f32(3, 5)), "BF16");
        assertError("matmul", () -> ops.matmul(f32(2, 3), Tensor.zeros(DType.I32, 3, 5)), "I32");
        assertError("matmul", () -> ops.matmul(f32(2, 2, 3), f32(3, 3, 5)), "2", "3");
        assertError("linear", () -> ops.linear(f32(4, 7), f32(5, 6)), "(4, 7)");
        // F64 on one side only: computing in F32 would round the F64 operand silently
        assertError("matmul", () -> ops.matmul(f32(2, 3), Tensor.zeros(DType.F64, 3, 5)), "F32", "F64");
        assertError("matmul", () -> ops.matmul(Tensor.zeros(DType.F64, 2, 3), f32(3, 5)), "F64", "F32");
    }

    @Test
    void elementwiseAndReductions() {
        assertError("add", () -> ops.add(f32(3, 2), f32(3)), "(3, 2)", "(3)");
        assertError("neg", () -> ops.unary(UnaryOp.NEG, Tensor.zeros(DType.I32, 2)), "I32");
        assertError("mul", () -> ops.mul(f32(2), Tensor.zeros(DType.I32, 2)), "I32");
        assertError("max", () -> ops.max(f32(2, 0), 1, false), "(2, 0)");
        assertError("argmax", () -> ops.argmax(f32(0, 3), 0), "(0, 3)");
        assertError("sum", () -> ops.sum(f32(2, 3), 2, false), "[-2, 2)", "2 for shape (2, 3)");
        assertError("mean", () -> ops.mean(f32(2, 3), -3, false), "-3 for shape (2, 3)");
        assertError("argmax", () -> ops.argmax(f32(2, 3), 2), "2 for shape (2, 3)");
        assertError("concat", () -> ops.concat(2, f32(2, 3), f32(2, 3)), "2 for shape (2, 3)");
        assertError("copy", () -> ops.copyInto(f32(2, 3), f32(3, 2)), "(2, 3)", "(3, 2)");
        assertError("concat", () -> ops.concat(0, f32(2, 3), f32(2, 4)), "(2, 4)");
        assertError("concat", () -> ops.concat(0, Tensor.zeros(DType.I32, 1), f32(1)), "[I32, F32]");
    }

    @Test
    void viewsNameTheOpCalled() {
        assertError("transpose", () -> f32(2, 3).transpose(0, 5), "[-2, 2)", "5 for shape (2, 3)");
        assertError("permute", () -> f32(2, 3).permute(0, 2), "[-2, 2)", "2 for shape (2, 3)");
        assertError("slice", () -> Tensor.scalar(1f).slice(0, 0, 1), "[0, 0)", "0 for shape ()");
        assertError("slice", () -> f32(2, 3).slice(1, 2, 4), "[2, 4)");
        assertError("select", () -> f32(2, 3).select(0, 5), "[0, 2) on axis 0 of (2, 3)", "got 5");
        assertError("select", () -> f32(2, 3).select(0, -1), "got -1");
        assertError("select", () -> f32(2, 3).select(2, 0), "2 for shape (2, 3)");
        assertError("reshape", () -> f32(2, 3).reshape(-2, -3), "[-2, -3]");
    }

    @Test
    void sumToOnlySumsDownToAShapeThatBroadcastsBack() {
        assertError("sumTo", () -> ops.sumTo(f32(3), Shape.of(2, 3)), "(3)", "(2, 3)");
        assertError("sumTo", () -> ops.sumTo(f32(2, 3), Shape.of(1, 1, 3)), "(2, 3)", "(1, 1, 3)");
        assertError("sumTo", () -> ops.sumTo(f32(2, 3), Shape.of(4)), "(4)");
    }

    @Test
    void softmaxNormRopeSwiglu() {
        assertError("softmax", () -> ops.softmax(f32(3, 0)), "(3, 0)");
        assertError("logSoftmax", () -> ops.logSoftmax(Tensor.scalar(1f)), "()");
        assertError("softmaxBackward", () -> ops.softmaxBackward(f32(2, 3), f32(3, 2)), "(3, 2)");
        assertError("logSoftmaxBackward", () -> ops.logSoftmaxBackward(f32(2, 3), f32(2, 4)), "(2, 4)");
        assertError("rmsNorm", () -> ops.rmsNorm(f32(2, 8), f32(7), 1e-5), "(8)", "(7)");
        assertError("rmsNormBackward", () -> ops.rmsNormBackward(f32(2, 8), f32(8), 1e-5, f32(2, 7)), "(2, 7)");
        // the backwards refuse what their forwards refuse: a 0-d tensor has no axis to normalize over (the scalar
        // backend failed with a NegativeArraySizeException, the vector backend returned a value; rmsNormBackward's
        // error named "axis", not the op)
        assertError("softmaxBackward", () -> ops.softmaxBackward(Tensor.scalar(1f), Tensor.scalar(1f)), "()");
        assertError("logSoftmaxBackward", () -> ops.logSoftmaxBackward(Tensor.scalar(1f), Tensor.scalar(1f)), "()");
        assertError("rmsNormBackward", () -> ops.rmsNormBackward(Tensor.scalar(1f), f32(1), 1e-5, Tensor.scalar(1f)),
                "()");
        Ops.RopeTables tables = Ops.ropeTables(new int[]{0, 1}, Ops.ropeInverseFrequencies(4, 10000), DType.F32);
        assertError("rope", () -> ops.rope(f32(2, 4, 4), tables), "(2, 4, 4)");
        assertError("rope", () -> ops.rope(f32(1, 1, 3, 4), tables), "(2, 4)");
        assertError("rope", () -> ops.rope(f32(1, 1, 2, 5), tables), "(1, 1, 2, 5)");
        assertError("rope", () -> Ops.ropeInverseFrequencies(5, 10000), "5");
        assertError("swiglu", () -> ops.swiglu(f32(2, 3), f32(2, 4)), "(2, 4)");
        assertError("swigluBackward", () -> ops.swigluBackward(f32(2, 3), f32(2, 3), f32(3)), "(3)");
    }

    @Test
    void embeddingAndLosses() {
        Tensor table = f32(10, 4);
        assertError("embedding", () -> ops.embedding(table, f32(3)), "F32");
        assertError("embedding", () -> ops.embedding(table, Tensor.of(new int[]{1, 10, 2}, 3)), "10", "position 1");
        assertError("embedding", () -> ops.embedding(table, Tensor.of(new int[]{-1}, 1)), "-1");
        assertError("embedding", () -> ops.embedding(f32(10), Tensor.of(new int[]{1}, 1)), "(10)");
        assertError("embeddingBackward", () -> ops.embeddingBackward(Tensor.of(new int[]{1, 2}, 2), f32(3, 4), 10), "(3, 4)");
        assertError("embeddingBackward", () -> ops.embeddingBackward(Tensor.of(new int[]{11}, 1), f32(1, 4), 10), "11");
        assertError("embeddingBackward", () -> ops.embeddingBackward(Tensor.zeros(DType.I32, 0), f32(0, 4), -1), "-1");
        Tensor logits = f32(3, 5);
        assertError("crossEntropy", () -> ops.crossEntropy(logits, f32(3), -100), "F32");
        assertError("crossEntropy", () -> ops.crossEntropy(logits, Tensor.of(new int[]{1, 2}, 2), -100), "(2)");
        assertError("crossEntropy", () -> ops.crossEntropy(logits, Tensor.of(new int[]{1, 5, 2}, 3), -100), "5");
        assertError("crossEntropy", () -> ops.crossEntropy(f32(3), Tensor.of(new int[]{1}, 1), -100), "(3)");
        Ops.CrossEntropyResult saved = ops.crossEntropy(logits, Tensor.of(new int[]{1, -100, 2}, 3), -100);
        assertError("crossEntropyBackward",
                () -> ops.crossEntropyBackward(logits, Tensor.of(new int[]{1, 0, 2}, 3), -100, saved, f32(2)), "(2)");
        // the backward checks the targets as the forward does: an id past V indexed past its row of dlogits in the
        // vector kernel (into the next row, or out of the array) while the reference ignored it; F32 targets failed
        // in the reference's readInt
        assertError("crossEntropyBackward",
                () -> ops.crossEntropyBackward(logits, Tensor.of(new int[]{1, 5, 2}, 3), -100, saved, f32(3)), "5");
        assertError("crossEntropyBackward",
                () -> ops.crossEntropyBackward(logits, f32(3), -100, saved, f32(3)), "F32");
        assertError("crossEntropyBackward",
                () -> ops.crossEntropyBackward(logits, Tensor.of(new int[]{1, 2}, 2), -100, saved, f32(3)), "(2)");
        assertError("crossEntropyBackward", () -> ops.crossEntropyBackward(logits, Tensor.of(new int[]{1, 0, 2}, 3),
                -100, new Ops.CrossEntropyResult(null, f32(4)), f32(3)), "saved lse", "(4)");
        assertError("klDivergence", () -> ops.klDivergence(logits, f32(3, 4), 1), "(3, 4)");
        assertError("klDivergence", () -> ops.klDivergence(logits, logits, 0), "0.0");
        assertError("klDivergenceBackward", () -> ops.klDivergenceBackward(logits, logits, 1, f32(4)), "(4)");
        // and KL's backward as its forward: a teacher of another shape was read out of its bounds
        assertError("klDivergenceBackward", () -> ops.klDivergenceBackward(logits, f32(3, 4), 1, f32(3)), "(3, 4)");
        assertError("klDivergenceBackward", () -> ops.klDivergenceBackward(logits, logits, 0, f32(3)), "0.0");
        assertError("klDivergenceBackward",
                () -> ops.klDivergenceBackward(f32(1, 3, 5), f32(1, 3, 5), 1, f32(1)), "(1, 3, 5)");
    }

    @Test
    void attention() {
        Tensor q = f32(1, 4, 3, 8), kv = f32(1, 2, 5, 8);
        assertError("attention", () -> ops.attention(f32(4, 3, 8), kv, kv, 1, true), "(4, 3, 8)");
        assertError("attention", () -> ops.attention(q, f32(1, 2, 5, 7), f32(1, 2, 5, 7), 1, true), "(1, 2, 5, 7)");
        assertError("attention", () -> ops.attention(q, kv, f32(1, 2, 4, 8), 1, true), "(1, 2, 4, 8)");
        assertError("attention", () -> ops.attention(q, f32(1, 3, 5, 8), f32(1, 3, 5, 8), 1, true),
                "4 query heads and 3 KV heads");
        assertError("attention", () -> ops.attention(f32(1, 4, 6, 8), kv, kv, 1, true), "T = 6, S = 5");
        Tensor noKeys = f32(1, 2, 0, 8);
        assertError("attention", () -> ops.attention(q, noKeys, noKeys, 1, false), "at least one key", "(1, 2, 0, 8)");
        Ops.AttentionResult saved = ops.attention(q, kv, kv, 1, true);
        assertError("attentionBackward", () -> ops.attentionBackward(q, kv, kv, saved, f32(1, 4, 3, 7), 1, true),
                "(1, 4, 3, 7)");
        assertError("attentionBackward", () -> ops.attentionBackward(q, noKeys, noKeys, saved, q, 1, false),
                "at least one key");
        // the backward refuses what the forward refuses (more causal queries than keys made the vector kernel index
        // out of its arrays while the reference returned zeros) and a saved forward of other shapes
        Tensor q6 = f32(1, 4, 6, 8);
        assertError("attentionBackward", () -> ops.attentionBackward(q6, kv, kv,
                new Ops.AttentionResult(q6, f32(1, 4, 6)), q6, 1, true), "T = 6, S = 5");
        assertError("attentionBackward", () -> ops.attentionBackward(q, kv, kv,
                new Ops.AttentionResult(f32(1, 4, 3, 9), saved.lse()), q, 1, true), "saved out", "(1, 4, 3, 9)");
        assertError("attentionBackward", () -> ops.attentionBackward(q, kv, kv,
                new Ops.AttentionResult(saved.out(), f32(1, 4, 4)), q, 1, true), "saved lse", "(1, 4, 4)");
    }
}

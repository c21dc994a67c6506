package minitron.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.BinaryOp;
import minitron.tensor.ReduceOp;
import minitron.tensor.Tensor;
import minitron.tensor.UnaryOp;

/**
 * The fast CPU backend: Java Vector API kernels, multithreaded over {@link minitron.tensor.Parallel}'s pool.
 * It overrides the kernels that matter for speed, for F32 compute; everything else (F64 gradient checks, rare
 * layouts) is inherited from the reference {@link ScalarBackend}, which it must match.
 *
 * <p>The kernels live in {@link VectorElementwise}, {@link VectorReduce}, {@link VectorSoftmax},
 * {@link VectorNorms} and {@link VectorAttention}; each returns false when its arguments are outside its fast
 * path (F64, an output that is not a contiguous F32 heap tensor, an unusual layout), and the call then goes to
 * the reference implementation.
 */
public class VectorBackend extends ScalarBackend {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    @Override
    public String name() {
        return "vector";
    }

    // ------------------------------------------------------------------ matmul

    /** F32 products go to the packed GEMM / streaming GEMV ({@link Gemm}); F64 (gradient checks) to the reference. */
    @Override
    public void matmul(Tensor a, Tensor b, Tensor out) {
        if (Gemm.supports(a, b, out)) {
            Gemm.matmul(a, b, out);
        } else {
            super.matmul(a, b, out);
        }
    }

    // ------------------------------------------------------------------ memory and elementwise

    @Override
    public void copy(Tensor src, Tensor dst) {
        if (!VectorElementwise.copy(src, dst)) super.copy(src, dst);
    }

    @Override
    public void fill(Tensor dst, double value) {
        if (!VectorElementwise.fill(dst, value)) super.fill(dst, value);
    }

    @Override
    public void unary(UnaryOp op, Tensor x, Tensor out) {
        if (!VectorElementwise.unary(op, x, out)) super.unary(op, x, out);
    }

    @Override
    public void binary(BinaryOp op, Tensor a, Tensor b, Tensor out) {
        if (!VectorElementwise.binary(op, a, b, out)) super.binary(op, a, b, out);
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor out) {
        if (!VectorElementwise.swiglu(gate, up, out)) super.swiglu(gate, up, out);
    }

    @Override
    public void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup) {
        if (!VectorElementwise.swigluBackward(gate, up, dy, dgate, dup)) super.swigluBackward(gate, up, dy, dgate, dup);
    }

    // ------------------------------------------------------------------ reductions

    @Override
    public void reduce(ReduceOp op, Tensor x, int axis, Tensor out) {
        if (!VectorReduce.reduce(op, x, axis, out)) super.reduce(op, x, axis, out);
    }

    @Override
    public void argmax(Tensor x, int axis, Tensor out) {
        if (!VectorReduce.argmax(x, axis, out)) super.argmax(x, axis, out);
    }

    // ------------------------------------------------------------------ softmax family and losses

    @Override
    public void softmax(Tensor x, Tensor out) {
        if (!VectorSoftmax.softmax(x, out)) super.softmax(x, out);
    }

    @Override
    public void logSoftmax(Tensor x, Tensor out) {
        if (!VectorSoftmax.logSoftmax(x, out)) super.logSoftmax(x, out);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        if (!VectorSoftmax.softmaxBackward(y, dy, dx)) super.softmaxBackward(y, dy, dx);
    }

    @Override
    public void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        if (!VectorSoftmax.logSoftmaxBackward(y, dy, dx)) super.logSoftmaxBackward(y, dy, dx);
    }

    @Override
    public void crossEntropy(Tensor logits, Tensor targets, int ignoreIndex, Tensor loss, Tensor lse) {
        if (!VectorSoftmax.crossEntropy(logits, targets, ignoreIndex, loss, lse)) {
            super.crossEntropy(logits, targets, ignoreIndex, loss, lse);
        }
    }

    @Override
    public void crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor lse, Tensor dloss,
                                     Tensor dlogits) {
        if (!VectorSoftmax.crossEntropyBackward(logits, targets, ignoreIndex, lse, dloss, dlogits)) {
            super.crossEntropyBackward(logits, targets, ignoreIndex, lse, dloss, dlogits);
        }
    }

    @Override
    public void klDivergence(Tensor student, Tensor teacher, double temperature, Tensor loss) {
        if (!VectorSoftmax.klDivergence(student, teacher, temperature, loss)) {
            super.klDivergence(student, teacher, temperature, loss);
        }
    }

    @Override
    public void klDivergenceBackward(Tensor student, Tensor teacher, double temperature, Tensor dloss,
                                     Tensor dstudent) {
        if (!VectorSoftmax.klDivergenceBackward(student, teacher, temperature, dloss, dstudent)) {
            super.klDivergenceBackward(student, teacher, temperature, dloss, dstudent);
        }
    }

    // ------------------------------------------------------------------ RMSNorm, RoPE, embedding

    @Override
    public void rmsNorm(Tensor x, Tensor weight, double eps, Tensor out) {
        if (!VectorNorms.rmsNorm(x, weight, eps, out)) super.rmsNorm(x, weight, eps, out);
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, double eps, Tensor dy, Tensor dx, Tensor dweight) {
        if (!VectorNorms.rmsNormBackward(x, weight, eps, dy, dx, dweight)) {
            super.rmsNormBackward(x, weight, eps, dy, dx, dweight);
        }
    }

    @Override
    public void rope(Tensor x, Tensor cos, Tensor sin, Tensor out) {
        if (!VectorNorms.rope(x, cos, sin, out)) super.rope(x, cos, sin, out);
    }

    @Override
    public void embedding(Tensor table, Tensor ids, Tensor out) {
        if (!VectorNorms.embedding(table, ids, out)) super.embedding(table, ids, out);
    }

    @Override
    public void embeddingBackward(Tensor ids, Tensor dout, Tensor dtable) {
        if (!VectorNorms.embeddingBackward(ids, dout, dtable)) super.embeddingBackward(ids, dout, dtable);
    }

    // ------------------------------------------------------------------ attention

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, double scale, boolean causal, int window, Tensor out,
                          Tensor lse) {
        if (!VectorAttention.attention(q, k, v, scale, causal, window, out, lse)) {
            super.attention(q, k, v, scale, causal, window, out, lse);
        }
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, Tensor out, Tensor lse, Tensor dout,
                                  double scale, boolean causal, int window, Tensor dq, Tensor dk, Tensor dv) {
        if (!VectorAttention.attentionBackward(q, k, v, out, lse, dout, scale, causal, window, dq, dk, dv)) {
            super.attentionBackward(q, k, v, out, lse, dout, scale, causal, window, dq, dk, dv);
        }
    }
}

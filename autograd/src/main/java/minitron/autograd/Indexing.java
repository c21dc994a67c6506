package minitron.autograd;

import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * Embedding lookup (a gather of rows) and the one-hot constant used by the composed cross-entropy. Shape legend:
 * V vocabulary, C embedding size (hidden_size), R rows.
 */
public final class Indexing {
    private Indexing() {
    }

    /**
     * table (V, C)[ids (...)] -> (..., C). d/dtable: each row of dout is added to the row of its id (scatter-add;
     * an id used twice receives both contributions). ids are constants (I32).
     */
    public static Var embedding(Var table, Tensor ids) {
        Ops ops = Autograd.ops();
        Tensor out = ops.embedding(table.value(), ids);
        int vocab = table.dim(0);
        return Var.fromOp("embedding", out, dout -> new Tensor[]{ops.embeddingBackward(ids, dout, vocab)}, table);
    }

    /**
     * A constant (R, V) with 1 at [r, targets[r]] and 0 elsewhere; rows whose target is ignoreIndex are all zero.
     * Multiplying log-probabilities by it and summing is the gather -log p[target] of cross-entropy.
     */
    public static Tensor oneHot(Tensor targets, int vocab, int ignoreIndex, DType dtype) {
        if (targets.dtype() != DType.I32 || targets.rank() != 1) {
            throw TensorException.of("oneHot", "targets (R) of dtype I32", targets.dtype() + " " + targets.shape());
        }
        int rows = targets.dim(0);
        Tensor out = Tensor.zeros(dtype, rows, vocab);
        for (int r = 0; r < rows; r++) {
            int t = targets.readInt(targets.offsetOf(r));
            if (t == ignoreIndex) continue;
            if (t < 0 || t >= vocab) {
                throw TensorException.of("oneHot", "targets in [0, " + vocab + ") or " + ignoreIndex,
                        t + " at row " + r);
            }
            out.set(1.0, r, t);
        }
        return out;
    }
}

package minitron.autograd;

import minitron.tensor.Ops;
import minitron.tensor.Tensor;

/** The fused ops, or their compositions of primitives: the same model code runs on either. */
enum OpSet {
    FUSED, COMPOSED;

    Var rmsNorm(Var x, Var weight, double eps) {
        return this == FUSED ? Normalization.rmsNorm(x, weight, eps) : Composite.rmsNorm(x, weight, eps);
    }

    Var rope(Var x, Ops.RopeTables tables) {
        return this == FUSED ? Attention.rope(x, tables) : Composite.rope(x, tables);
    }

    Var attention(Var q, Var k, Var v, double scale, boolean causal) {
        return this == FUSED ? Attention.attention(q, k, v, scale, causal)
                : Composite.attention(q, k, v, scale, causal);
    }

    Var swiglu(Var gate, Var up) {
        return this == FUSED ? Activations.swiglu(gate, up) : Composite.swiglu(gate, up);
    }

    Var crossEntropy(Var logits, Tensor targets, int ignoreIndex) {
        return this == FUSED ? Losses.crossEntropy(logits, targets, ignoreIndex, Losses.Reduction.MEAN)
                : Composite.crossEntropy(logits, targets, ignoreIndex, Losses.Reduction.MEAN);
    }

    Var klDivergence(Var student, Tensor teacher, double temperature) {
        return this == FUSED ? Losses.klDivergence(student, teacher, temperature)
                : Composite.klDivergence(student, teacher, temperature);
    }
}

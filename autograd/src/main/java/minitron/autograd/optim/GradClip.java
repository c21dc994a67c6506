package minitron.autograd.optim;

import java.util.Collection;
import minitron.autograd.Autograd;
import minitron.autograd.Var;
import minitron.tensor.Tensor;

/** Gradient clipping by global norm, torch.nn.utils.clip_grad_norm_ semantics (L2 norm). */
public final class GradClip {
    /** Added to the norm before dividing, as PyTorch does, so that a zero norm does not divide by zero. */
    public static final double NORM_EPS = 1e-6;

    private GradClip() {
    }

    /**
     * total = L2 norm of the per-parameter L2 norms of every gradient (= sqrt of the sum of all squared
     * elements); when max_norm / (total + 1e-6) < 1, every gradient is multiplied by it. Parameters without a
     * gradient are ignored. Returns total, the norm before clipping. Gradients are replaced, not modified in
     * place (a gradient tensor may be shared by several Vars).
     */
    public static double clipGradNorm(Collection<Var> params, double maxNorm) {
        double sumOfSquaredNorms = 0;
        for (Var p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            double sq = 0;
            for (long i = 0; i < g.numel(); i++) {
                double x = g.readDouble(g.offsetOf(i));
                sq += x * x;
            }
            double norm = Math.sqrt(sq);
            sumOfSquaredNorms += norm * norm;
        }
        double total = Math.sqrt(sumOfSquaredNorms);
        double coefficient = maxNorm / (total + NORM_EPS);
        if (coefficient < 1) {
            for (Var p : params) {
                if (p.grad() != null) p.setGrad(Autograd.ops().scale(p.grad(), coefficient));
            }
        }
        return total;
    }
}

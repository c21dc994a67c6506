package minitron.autograd.optim;

import java.util.Collection;
import minitron.autograd.Autograd;
import minitron.autograd.Var;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;

/** Gradient clipping by global norm, torch.nn.utils.clip_grad_norm_ semantics (L2 norm). */
public final class GradClip {
    /** Elements per parallel chunk of the norm computation. */
    private static final int GRAIN = 1 << 15;

    /** Added to the norm before dividing, as PyTorch does, so that a zero norm does not divide by zero. */
    public static final double NORM_EPS = 1e-6;

    private GradClip() {
    }

    /**
     * total = L2 norm of the per-parameter L2 norms of every gradient (= sqrt of the sum of all squared
     * elements); when max_norm / (total + 1e-6) < 1, every gradient is multiplied by it. Parameters without a
     * gradient are ignored. Returns total, the norm before clipping. Gradients are replaced, not modified in
     * place (a gradient tensor may be shared by several Vars).
     *
     * <p>A total that is not finite scales as in PyTorch 1.13 (error_if_nonfinite off): a NaN total makes the
     * coefficient NaN and every gradient NaN; an infinite total makes it 0 (an infinite element becomes NaN, the
     * rest 0). A caller that wants to skip such a step checks the returned total; the gradients are not usable.
     */
    public static double clipGradNorm(Collection<Var> params, double maxNorm) {
        double sumOfSquaredNorms = 0;
        for (Var p : params) {
            Tensor g = p.grad();
            if (g == null) continue;
            double norm = Math.sqrt(sumOfSquares(g));
            sumOfSquaredNorms += norm * norm;
        }
        double total = Math.sqrt(sumOfSquaredNorms);
        double coefficient = maxNorm / (total + NORM_EPS);
        if (!(coefficient >= 1)) { // torch clamps the coefficient to <= 1, and a NaN one stays NaN
            for (Var p : params) {
                if (p.grad() != null) p.setGrad(Autograd.ops().scale(p.grad(), coefficient));
            }
        }
        return total;
    }

    /** sum of x^2 over all elements, in double, split over the shared pool for large tensors. */
    private static double sumOfSquares(Tensor g) {
        int n = Math.toIntExact(g.numel());
        boolean dense = g.isContiguous();
        float[] floats = Optimizer.denseFloats(g);
        int chunks = Math.max(1, Math.min(Parallel.threads(), n / GRAIN));
        double[] partial = new double[chunks];
        Parallel.forRange(chunks, 1, (first, last) -> {
            for (int c = first; c < last; c++) {
                long start = (long) n * c / chunks, end = (long) n * (c + 1) / chunks;
                double sq = 0;
                for (long i = start; i < end; i++) {
                    double x = floats != null ? floats[(int) i] : g.readDouble(Optimizer.at(g, dense, i));
                    sq += x * x;
                }
                partial[c] = sq;
            }
        });
        double sum = 0;
        for (double s : partial) sum += s;
        return sum;
    }
}

package minitron.autograd.optim;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import minitron.autograd.Var;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * AdamW (Loshchilov and Hutter), torch.optim.AdamW's update (amsgrad off) with its constants grouped as torch
 * groups them (step_size, bias_correction2_sqrt). For each parameter p with gradient g, at its t-th update:
 * <pre>
 *   p = p * (1 - lr * weight_decay)                    decoupled weight decay
 *   m = beta1 * m + (1 - beta1) * g                    first moment
 *   v = beta2 * v + (1 - beta2) * g^2                  second moment
 *   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)   bias-corrected step
 * </pre>
 * Arithmetic in double precision per element, rounded once when written to an F32 parameter or state (torch rounds
 * after every F32 operation, so F32 results agree with it to rounding, not bit for bit).
 */
public final class AdamW extends Optimizer {
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, Tensor> expAvg = new HashMap<>();
    private final Map<String, Tensor> expAvgSq = new HashMap<>();
    private final Map<String, Integer> steps = new HashMap<>();

    public AdamW(Map<String, Var> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        super(params, lr);
        requireBeta("beta1", beta1);
        requireBeta("beta2", beta2);
        requireNonNegative("eps", eps);
        requireNonNegative("weight_decay", weightDecay);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    private static void requireBeta(String name, double beta) {
        if (!(beta >= 0 && beta < 1)) throw TensorException.of("AdamW", name + " in [0, 1)", String.valueOf(beta));
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01. */
    public AdamW(Map<String, Var> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0.01);
    }

    public AdamW(List<Var> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(numbered(params), lr, beta1, beta2, eps, weightDecay);
    }

    /** The update rule of one step, with this step's constants (the formula of the class comment, in one place). */
    private final class Update {
        final double decay;      // 1 - lr * weight_decay
        final double stepSize;   // lr / (1 - beta1^t)
        final double bias2Sqrt;  // sqrt(1 - beta2^t)

        Update(double decay, double stepSize, double bias2Sqrt) {
            this.decay = decay;
            this.stepSize = stepSize;
            this.bias2Sqrt = bias2Sqrt;
        }

        /** m = beta1 m + (1 - beta1) g */
        double firstMoment(double m, double g) {
            return m * beta1 + g * (1 - beta1);
        }

        /** v = beta2 v + (1 - beta2) g^2 */
        double secondMoment(double v, double g) {
            return v * beta2 + (1 - beta2) * g * g;
        }

        /** p (1 - lr wd) - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps), with the new m and v. */
        double parameter(double p, double m, double v) {
            return p * decay - stepSize * (m / (Math.sqrt(v) / bias2Sqrt + eps));
        }
    }

    @Override
    public void step() {
        for (Map.Entry<String, Var> e : params.entrySet()) {
            Var param = e.getValue();
            Tensor g = param.grad();
            if (g == null) continue;
            String name = e.getKey();
            Tensor p = param.value();
            Tensor m = expAvg.computeIfAbsent(name, k -> zerosLike(param));
            Tensor v = expAvgSq.computeIfAbsent(name, k -> zerosLike(param));
            int t = steps.merge(name, 1, Integer::sum);
            Update u = new Update(1 - lr * weightDecay, lr / (1 - Math.pow(beta1, t)),
                    Math.sqrt(1 - Math.pow(beta2, t)));
            float[] pf = denseFloats(p), gf = denseFloats(g), mf = denseFloats(m), vf = denseFloats(v);
            if (pf != null && gf != null && mf != null && vf != null) {
                // F32 parameters and gradients in plain arrays (the training case): no per-element dispatch.
                forEachElement(p.numel(), i -> {
                    int j = (int) i;
                    float gi = gf[j];
                    mf[j] = (float) u.firstMoment(mf[j], gi);
                    vf[j] = (float) u.secondMoment(vf[j], gi);
                    pf[j] = (float) u.parameter(pf[j], mf[j], vf[j]);
                });
            } else {
                boolean pDense = p.isContiguous(), gDense = g.isContiguous();
                forEachElement(p.numel(), i -> {
                    long pAt = at(p, pDense, i);
                    double gi = g.readDouble(at(g, gDense, i));
                    m.writeDouble(i, u.firstMoment(m.readDouble(i), gi));
                    v.writeDouble(i, u.secondMoment(v.readDouble(i), gi));
                    // the moments as stored (rounded to F32 for F32 parameters), as the path above and torch use them
                    p.writeDouble(pAt, u.parameter(p.readDouble(pAt), m.readDouble(i), v.readDouble(i)));
                });
            }
        }
        stepCount++;
    }

    @Override
    public OptimizerState state() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            if (!steps.containsKey(name)) continue;
            tensors.put("exp_avg." + name, expAvg.get(name));
            tensors.put("exp_avg_sq." + name, expAvgSq.get(name));
            Tensor t = Tensor.zeros(DType.I32);
            t.writeDouble(0, steps.get(name));
            tensors.put("step." + name, t);
        }
        return new OptimizerState(stepCount, tensors);
    }

    @Override
    public void loadState(OptimizerState state) {
        expAvg.clear();
        expAvgSq.clear();
        steps.clear();
        for (Map.Entry<String, Var> e : params.entrySet()) {
            String name = e.getKey();
            Tensor step = state.tensors().get("step." + name);
            if (step == null) continue; // never updated: starts fresh, as in PyTorch
            expAvg.put(name, requireStateTensor(state, "exp_avg." + name, e.getValue()));
            expAvgSq.put(name, requireStateTensor(state, "exp_avg_sq." + name, e.getValue()));
            steps.put(name, (int) step.item());
        }
        stepCount = state.step();
    }
}

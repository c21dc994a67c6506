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
 * AdamW (Loshchilov and Hutter), with exactly torch.optim.AdamW's arithmetic (amsgrad off). For each parameter
 * p with gradient g, at its t-th update:
 * <pre>
 *   p = p * (1 - lr * weight_decay)                    decoupled weight decay
 *   m = beta1 * m + (1 - beta1) * g                    first moment
 *   v = beta2 * v + (1 - beta2) * g^2                  second moment
 *   p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)   bias-corrected step
 * </pre>
 * Arithmetic in double precision per element, rounded once when written to an F32 parameter or state.
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
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps >= 0) || !(weightDecay >= 0)) {
            throw TensorException.of("AdamW", "0 <= beta1, beta2 < 1, eps >= 0, weight_decay >= 0",
                    "betas (" + beta1 + ", " + beta2 + "), eps " + eps + ", weight_decay " + weightDecay);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, weight_decay 0.01. */
    public AdamW(Map<String, Var> params, double lr) {
        this(params, lr, 0.9, 0.999, 1e-8, 0.01);
    }

    public AdamW(List<Var> params, double lr, double beta1, double beta2, double eps, double weightDecay) {
        this(numbered(params), lr, beta1, beta2, eps, weightDecay);
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
            double decay = 1 - lr * weightDecay;
            double stepSize = lr / (1 - Math.pow(beta1, t));
            double bias2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
            boolean pDense = p.isContiguous(), gDense = g.isContiguous();
            forEachElement(p.numel(), i -> {
                long pAt = at(p, pDense, i), gAt = at(g, gDense, i);
                double gi = g.readDouble(gAt);
                double mi = m.readDouble(i) * beta1 + gi * (1 - beta1);
                double vi = v.readDouble(i) * beta2 + (1 - beta2) * gi * gi;
                m.writeDouble(i, mi);
                v.writeDouble(i, vi);
                double pi = p.readDouble(pAt) * decay;
                double denom = Math.sqrt(vi) / bias2Sqrt + eps;
                p.writeDouble(pAt, pi - stepSize * (mi / denom));
            });
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

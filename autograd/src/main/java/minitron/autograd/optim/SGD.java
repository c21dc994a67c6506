package minitron.autograd.optim;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import minitron.autograd.Var;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;

/**
 * Stochastic gradient descent with torch.optim.SGD's semantics (maximize off):
 * <pre>
 *   d = g + weight_decay * p                            (L2 penalty, coupled: it goes through momentum)
 *   b = d at the first step, else momentum * b + (1 - dampening) * d      (when momentum != 0)
 *   d = nesterov ? d + momentum * b : b
 *   p = p - lr * d
 * </pre>
 */
public final class SGD extends Optimizer {
    private final double momentum;
    private final double dampening;
    private final double weightDecay;
    private final boolean nesterov;
    private final Map<String, Tensor> buffers = new HashMap<>();

    public SGD(Map<String, Var> params, double lr, double momentum, double dampening, double weightDecay,
               boolean nesterov) {
        super(params, lr);
        requireNonNegative("momentum", momentum);
        requireNonNegative("weight_decay", weightDecay);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw TensorException.of("SGD", "momentum > 0 and dampening 0 for Nesterov momentum",
                    "momentum " + momentum + ", dampening " + dampening);
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.weightDecay = weightDecay;
        this.nesterov = nesterov;
    }

    /** Plain SGD, optionally with momentum. */
    public SGD(List<Var> params, double lr, double momentum) {
        this(numbered(params), lr, momentum, 0, 0, false);
    }

    @Override
    public void step() {
        for (Map.Entry<String, Var> e : params.entrySet()) {
            Var param = e.getValue();
            Tensor g = param.grad();
            if (g == null) continue;
            Tensor p = param.value();
            boolean first = !buffers.containsKey(e.getKey());
            Tensor b = momentum != 0 ? buffers.computeIfAbsent(e.getKey(), k -> zerosLike(param)) : null;
            boolean pDense = p.isContiguous(), gDense = g.isContiguous();
            forEachElement(p.numel(), i -> {
                long pAt = at(p, pDense, i);
                double pi = p.readDouble(pAt);
                double d = g.readDouble(at(g, gDense, i)) + weightDecay * pi;
                if (b != null) {
                    double bi = first ? d : momentum * b.readDouble(i) + (1 - dampening) * d;
                    b.writeDouble(i, bi);
                    d = nesterov ? d + momentum * bi : bi;
                }
                p.writeDouble(pAt, pi - lr * d);
            });
        }
        stepCount++;
    }

    @Override
    public OptimizerState state() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            if (buffers.containsKey(name)) tensors.put("momentum_buffer." + name, buffers.get(name));
        }
        return new OptimizerState(stepCount, tensors);
    }

    @Override
    public void loadState(OptimizerState state) {
        buffers.clear();
        for (Map.Entry<String, Var> e : params.entrySet()) {
            String key = "momentum_buffer." + e.getKey();
            if (state.tensors().containsKey(key)) buffers.put(e.getKey(), requireStateTensor(state, key, e.getValue()));
        }
        stepCount = state.step();
    }
}

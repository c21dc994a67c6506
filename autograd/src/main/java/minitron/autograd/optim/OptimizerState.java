package minitron.autograd.optim;

import java.util.Map;
import minitron.tensor.Tensor;

/**
 * An optimizer's state for checkpoints: the number of step() calls and named tensors (for AdamW
 * "exp_avg.NAME", "exp_avg_sq.NAME" and the per-parameter step count "step.NAME" as a 0-d tensor; for SGD
 * "momentum_buffer.NAME"), NAME being the parameter's name. The tensors are the optimizer's own: copy them
 * before the next step if they must outlive it.
 */
public record OptimizerState(int step, Map<String, Tensor> tensors) {
}

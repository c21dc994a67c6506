package minitron.transformer.train;

import java.util.ArrayList;
import java.util.List;

/**
 * The hyperparameters of one training run. The global batch of an optimizer step is
 * {@code batch * accumulation * worldSize} sequences of {@code seqLen} tokens.
 *
 * @param seqLen       T, tokens per sequence
 * @param batch        sequences per micro-batch (per rank)
 * @param accumulation micro-batches whose gradients are summed (each loss scaled by 1/accumulation) per step
 * @param steps        optimizer steps of the whole run (the LR schedule's length)
 * @param lr           peak learning rate (after warm-up)
 * @param minLr        the cosine schedule's floor
 * @param warmup       linear warm-up steps (0 = none)
 * @param weightDecay  AdamW's decoupled weight decay
 * @param beta1        AdamW beta1
 * @param beta2        AdamW beta2
 * @param eps          AdamW epsilon
 * @param clip         gradient clipping by global L2 norm (0 = off)
 * @param seed         seeds the initialization and the data order
 * @param evalEvery    validation loss every N steps (0 = only at the end)
 * @param evalBatches  micro-batches of validation data per evaluation
 * @param saveEvery    a checkpoint every N steps (0 = only at the end)
 * @param keep         checkpoints kept (the newest K)
 */
public record TrainConfig(int seqLen, int batch, int accumulation, int steps, double lr, double minLr, int warmup,
                          double weightDecay, double beta1, double beta2, double eps, double clip, long seed,
                          int evalEvery, int evalBatches, int saveEvery, int keep) {

    public TrainConfig {
        List<String> problems = new ArrayList<>();
        if (seqLen <= 0) problems.add("seq_len expected > 0, got " + seqLen);
        if (batch <= 0) problems.add("batch expected > 0, got " + batch);
        if (accumulation <= 0) problems.add("accumulation expected > 0, got " + accumulation);
        if (steps <= 0) problems.add("steps expected > 0, got " + steps);
        if (!(lr > 0)) problems.add("lr expected > 0, got " + lr);
        if (!(minLr >= 0 && minLr <= lr)) problems.add("min_lr expected in [0, lr], got " + minLr);
        if (warmup < 0 || warmup >= steps) problems.add("warmup expected in [0, steps), got " + warmup);
        if (!(clip >= 0)) problems.add("clip expected >= 0, got " + clip);
        if (evalEvery < 0) problems.add("eval_every expected >= 0, got " + evalEvery);
        if (evalBatches <= 0) problems.add("eval_batches expected > 0, got " + evalBatches);
        if (saveEvery < 0) problems.add("save_every expected >= 0, got " + saveEvery);
        if (keep <= 0) problems.add("keep expected > 0, got " + keep);
        if (!problems.isEmpty()) {
            throw new TrainingException("train config: " + String.join("; ", problems));
        }
    }

    /**
     * Defaults for the given sequence, batch and step counts: lr 1e-3 to 1e-4 with 5% warm-up, AdamW (0.9, 0.95,
     * 1e-8, weight decay 0.1, the usual LLM pretraining values), clip 1.0, seed 1234, no accumulation.
     */
    public static TrainConfig defaults(int seqLen, int batch, int steps) {
        return new TrainConfig(seqLen, batch, 1, steps, 1e-3, 1e-4, steps / 20, 0.1, 0.9, 0.95, 1e-8, 1.0, 1234,
                0, 4, 0, 2);
    }

    public TrainConfig withBatch(int newBatch, int newAccumulation) {
        return new TrainConfig(seqLen, newBatch, newAccumulation, steps, lr, minLr, warmup, weightDecay, beta1, beta2,
                eps, clip, seed, evalEvery, evalBatches, saveEvery, keep);
    }

    public TrainConfig withSteps(int newSteps, int newWarmup) {
        return new TrainConfig(seqLen, batch, accumulation, newSteps, lr, minLr, newWarmup, weightDecay, beta1, beta2,
                eps, clip, seed, evalEvery, evalBatches, saveEvery, keep);
    }

    public TrainConfig withSchedule(double newLr, double newMinLr) {
        return new TrainConfig(seqLen, batch, accumulation, steps, newLr, newMinLr, warmup, weightDecay, beta1, beta2,
                eps, clip, seed, evalEvery, evalBatches, saveEvery, keep);
    }

    public TrainConfig withCheckpoints(int newEvalEvery, int newSaveEvery, int newKeep) {
        return new TrainConfig(seqLen, batch, accumulation, steps, lr, minLr, warmup, weightDecay, beta1, beta2, eps,
                clip, seed, newEvalEvery, evalBatches, newSaveEvery, newKeep);
    }

    /** Tokens per optimizer step on one rank. */
    public long tokensPerStep() {
        return (long) seqLen * batch * accumulation;
    }
}

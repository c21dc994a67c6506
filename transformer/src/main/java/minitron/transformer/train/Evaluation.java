package minitron.transformer.train;

import minitron.autograd.Losses;
import minitron.autograd.NoGrad;
import minitron.transformer.data.BatchLoader;
import minitron.transformer.data.TokenDataset;
import minitron.transformer.model.LlamaModel;

/** Validation numbers for a trained model: its cross-entropy on a dataset and a unigram baseline on the same tokens. */
public final class Evaluation {
    private Evaluation() {
    }

    /** Mean and count of a cross-entropy over target tokens (nats per token). */
    public record Result(double loss, long tokens) {
        /** Perplexity exp(loss). */
        public double perplexity() {
            return Math.exp(loss);
        }
    }

    /**
     * The model's mean next-token cross-entropy over every target of every row of {@code data} (rows of
     * {@code seqLen} + 1 tokens, in order, in batches of at most {@code batch}; see {@link TokenDataset}), without a
     * graph. Each batch's mean is weighted by its number of targets, so the result is the mean over all targets.
     */
    public static Result modelLoss(LlamaModel model, TokenDataset data, int seqLen, int batch) {
        int rows = data.rows(seqLen);
        int b = Math.min(batch, rows);
        BatchLoader loader = new BatchLoader(data, b, seqLen, 0, 0, 1, false);
        double sum = 0;
        long tokens = 0;
        try (NoGrad scope = NoGrad.enter()) {
            for (int s = 0; s < loader.stepsPerEpoch(); s++) {
                BatchLoader.Batch batchOfRows = loader.next();
                double loss = Losses.crossEntropy(model.forward(batchOfRows.inputsTensor()),
                        batchOfRows.targetsTensor()).item();
                sum += loss * b * seqLen;
                tokens += (long) b * seqLen;
            }
        }
        return new Result(sum / tokens, tokens);
    }

    /**
     * The unigram baseline: p(v) = (count of v among the training tokens + 1) / (N + V) (add-one smoothing, so that
     * a token never seen in training has a finite cost), evaluated as -mean log p(target) over the same targets
     * {@link #modelLoss} scores (the rows that fill whole batches of {@code batch}).
     */
    public static Result unigramLoss(TokenDataset train, TokenDataset data, int seqLen, int batch, int vocabSize) {
        long[] counts = new long[vocabSize];
        int[] chunk = new int[1 << 16];
        for (long at = 0; at < train.length(); at += chunk.length) {
            int n = (int) Math.min(chunk.length, train.length() - at);
            train.cache().tokens(train.start() + at, chunk, 0, n);
            for (int i = 0; i < n; i++) counts[chunk[i]]++;
        }
        double total = train.length() + vocabSize;
        int rows = data.rows(seqLen);
        int b = Math.min(batch, rows);
        BatchLoader loader = new BatchLoader(data, b, seqLen, 0, 0, 1, false);
        double sum = 0;
        long tokens = 0;
        for (int s = 0; s < loader.stepsPerEpoch(); s++) {
            for (int target : loader.next().targets()) {
                sum -= Math.log((counts[target] + 1) / total);
                tokens++;
            }
        }
        return new Result(sum / tokens, tokens);
    }
}

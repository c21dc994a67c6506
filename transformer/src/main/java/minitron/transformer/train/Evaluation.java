package minitron.transformer.train;

import minitron.autograd.Losses;
import minitron.autograd.NoGrad;
import minitron.tensor.Tensor;
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
     * {@code seqLen} + 1 tokens, in order, in batches of at most {@code batch}, the last one possibly shorter; see
     * {@link TokenDataset}), without a graph. Each batch's mean is weighted by its number of targets, so the result
     * is the mean over all targets and does not depend on {@code batch} (beyond rounding).
     */
    public static Result modelLoss(LlamaModel model, TokenDataset data, int seqLen, int batch) {
        double[] sum = {0};
        long tokens;
        try (NoGrad scope = NoGrad.enter()) {
            tokens = forEachBatch(data, seqLen, batch, (inputs, targets, rows) -> {
                double loss = Losses.crossEntropy(model.forward(Tensor.of(inputs, rows, seqLen)),
                        Tensor.of(targets, rows, seqLen)).item();
                sum[0] += loss * rows * seqLen;
            });
        }
        return new Result(sum[0] / tokens, tokens);
    }

    /**
     * The unigram baseline: p(v) = (count of v among the training tokens + 1) / (N + V) (add-one smoothing, so that
     * a token never seen in training has a finite cost), evaluated as -mean log p(target) over the same targets
     * {@link #modelLoss} scores.
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
        double[] sum = {0};
        long tokens = forEachBatch(data, seqLen, batch, (inputs, targets, rows) -> {
            for (int i = 0; i < rows * seqLen; i++) sum[0] -= Math.log((counts[targets[i]] + 1) / total);
        });
        return new Result(sum[0] / tokens, tokens);
    }

    /** Receives rows (row-major inputs and targets, {@code rows} x seqLen) of a batch. */
    private interface BatchConsumer {
        void accept(int[] inputs, int[] targets, int rows);
    }

    /** Every row of {@code data} in order, in batches of {@code batch} rows and a last shorter one; the target count. */
    private static long forEachBatch(TokenDataset data, int seqLen, int batch, BatchConsumer consumer) {
        int rows = data.rows(seqLen);
        int[] row = new int[seqLen + 1];
        for (int first = 0; first < rows; first += batch) {
            int n = Math.min(batch, rows - first);
            int[] inputs = new int[n * seqLen], targets = new int[n * seqLen];
            for (int r = 0; r < n; r++) {
                data.row(first + r, seqLen, row, 0);
                System.arraycopy(row, 0, inputs, r * seqLen, seqLen);      // tokens 0 .. T-1
                System.arraycopy(row, 1, targets, r * seqLen, seqLen);     // tokens 1 .. T
            }
            consumer.accept(inputs, targets, n);
        }
        return (long) rows * seqLen;
    }
}

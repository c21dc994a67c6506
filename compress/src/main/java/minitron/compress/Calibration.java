package minitron.compress;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import minitron.autograd.Losses;
import minitron.autograd.NoGrad;
import minitron.tensor.Tensor;
import minitron.transformer.data.DataSources;
import minitron.transformer.data.TokenDataset;
import minitron.transformer.io.TemporaryFolder;
import minitron.transformer.model.LlamaModel;

/**
 * A calibration (or validation) set: rows of T + 1 tokens (inputs are the first T, targets the last T), served
 * in batches of B rows. The token rows are the only thing kept; activations never are.
 */
public final class Calibration {
    private final List<int[]> rows;   // each T + 1 tokens
    private final int seqLen;         // T
    private final int batch;          // B

    private Calibration(List<int[]> rows, int seqLen, int batch) {
        this.rows = rows;
        this.seqLen = seqLen;
        this.batch = batch;
    }

    /**
     * The first {@code samples} rows of T + 1 tokens of a dataset (all of them when it has fewer), in batches of
     * {@code batch}. A dataset with fewer rows than one batch is an error naming both counts.
     */
    public static Calibration of(TokenDataset data, int seqLen, int samples, int batch) {
        if (samples < 1 || batch < 1) {
            throw new CompressException("calibration: expected samples >= 1 and batch >= 1, found samples " + samples
                    + ", batch " + batch);
        }
        int available = data.rows(seqLen);
        int b = Math.min(batch, samples);
        if (available < b) {
            throw new CompressException("calibration set smaller than one batch: expected at least " + b + " rows of "
                    + (seqLen + 1) + " tokens, found " + available + " (" + data.length() + " tokens); "
                    + "use a shorter --seq-len, a smaller --batch or more data");
        }
        List<int[]> rows = new ArrayList<>();
        for (int r = 0; r < Math.min(samples, available); r++) {
            int[] row = new int[seqLen + 1];
            data.row(r, seqLen, row, 0);
            rows.add(row);
        }
        return new Calibration(rows, seqLen, b);
    }

    /**
     * Reads a dataset spec ({@code brown:SPLIT}, a text file or folder, JSONL with {@code jsonl}), tokenizes it
     * with the tokenizer at {@code tokenizer} (a temporary token cache, deleted afterwards) and takes its first
     * rows as in {@link #of(TokenDataset, int, int, int)}.
     */
    public static Calibration read(String spec, boolean jsonl, Path tokenizer, int seqLen, int samples, int batch)
            throws IOException {
        try (TemporaryFolder tmp = TemporaryFolder.create("minitron-calibration")) {
            Path cacheFile = tmp.path().resolve("calibration.tokens");
            DataSources.Tokenized tokenized = DataSources.tokenize(spec, jsonl, tokenizer, cacheFile, false);
            try {
                return of(tokenized.cache().dataset(), seqLen, samples, batch);
            } finally {
                tokenized.cache().close();
            }
        }
    }

    /** Given rows (each T + 1 tokens), in batches of {@code batch}; fewer rows than one batch is an error. */
    public static Calibration ofRows(List<int[]> rows, int batch) {
        if (rows.size() < batch || batch < 1) {
            throw new CompressException("calibration set smaller than one batch: expected at least " + batch
                    + " rows, found " + rows.size());
        }
        int width = rows.getFirst().length;
        for (int[] row : rows) {
            if (row.length != width || width < 2) {
                throw new CompressException("calibration: expected rows of one length >= 2 (T + 1 tokens), found "
                        + row.length + " and " + width);
            }
        }
        return new Calibration(List.copyOf(rows), width - 1, batch);
    }

    public int samples() {
        return rows.size();
    }

    public int seqLen() {
        return seqLen;
    }

    public int batchSize() {
        return batch;
    }

    public long tokens() {
        return (long) rows.size() * seqLen;
    }

    /** The batches: {inputs (B, T) I32, targets (B, T) I32}; the last may hold fewer rows. */
    public List<Tensor[]> batches() {
        List<Tensor[]> out = new ArrayList<>();
        for (int start = 0; start < rows.size(); start += batch) {
            int b = Math.min(batch, rows.size() - start);
            int[] inputs = new int[b * seqLen];
            int[] targets = new int[b * seqLen];
            for (int i = 0; i < b; i++) {
                int[] row = rows.get(start + i);
                System.arraycopy(row, 0, inputs, i * seqLen, seqLen);
                System.arraycopy(row, 1, targets, i * seqLen, seqLen);
            }
            out.add(new Tensor[] {Tensor.of(inputs, b, seqLen), Tensor.of(targets, b, seqLen)});
        }
        return out;
    }

    /** Mean next-token cross-entropy (nats per token) of the model over every row, without a graph. */
    public double meanLoss(LlamaModel model) {
        double sum = 0;
        long count = 0;
        try (NoGrad scope = NoGrad.enter()) {
            for (Tensor[] b : batches()) {
                double loss = Losses.crossEntropy(model.forward(b[0]), b[1]).item();
                long n = b[0].numel();
                sum += loss * n;
                count += n;
            }
        }
        return sum / count;
    }
}

package minitron.transformer.data;

import minitron.tensor.Tensor;

/**
 * Batches of rows of a {@link TokenDataset}, shuffled by seed, sharded by rank, with a state that can be saved and
 * restored exactly.
 *
 * <p>Order: epoch e visits the rows in the permutation {@code SplitMix64.permutation(rows, seed + e * GOLDEN)}
 * (Fisher-Yates; {@code shuffle = false}: in order). Step s of an epoch is the global batch of rows
 * {@code perm[s*B*W, (s+1)*B*W)} (B = batch per rank, W = world size); rank k takes its slice
 * {@code [k*B, (k+1)*B)}. An epoch has {@code rows / (B*W)} steps; the rows of a last incomplete global batch are
 * skipped in that epoch (a different permutation next epoch reaches them). So ranks never share a row within a
 * step, and the union over ranks is the same global batch whatever W divides it.
 *
 * <p>State = (epoch, step): {@link #state()} before a call to {@link #next()} and {@link #restore} give the same
 * batches from there on as the uninterrupted loader.
 */
public final class BatchLoader {
    /** Decorrelates the per-epoch seeds (2^64 / golden ratio, the SplitMix64 increment). */
    private static final long EPOCH_SEED_STEP = 0x9E3779B97F4A7C15L;

    private final TokenDataset data;
    private final int batch;
    private final int seqLen;
    private final long seed;
    private final int rank;
    private final int worldSize;
    private final boolean shuffle;
    private final int rows;
    private final int stepsPerEpoch;
    private long epoch;
    private int step;
    private int[] permutation;
    private long permutationEpoch = -1;

    /** Where the loader is: the next batch is step {@code step} of epoch {@code epoch}. */
    public record State(long seed, long epoch, int step, int batch, int seqLen, int rank, int worldSize) {
    }

    /** One batch: B rows of T inputs and T targets (row-major), the dataset rows they are, and when. */
    public record Batch(int[] inputs, int[] targets, int[] rows, int batch, int seqLen, long epoch, int step) {
        /** inputs as an I32 tensor [B, T] (wraps the array). */
        public Tensor inputsTensor() {
            return Tensor.of(inputs, batch, seqLen);
        }

        /** targets as an I32 tensor [B, T] (wraps the array). */
        public Tensor targetsTensor() {
            return Tensor.of(targets, batch, seqLen);
        }
    }

    public BatchLoader(TokenDataset data, int batch, int seqLen, long seed, int rank, int worldSize, boolean shuffle) {
        if (batch <= 0) throw new DataException("batch loader: batch size expected > 0, got " + batch);
        if (worldSize <= 0 || rank < 0 || rank >= worldSize) {
            throw new DataException("batch loader: expected 0 <= rank < world size, got rank " + rank
                    + ", world size " + worldSize);
        }
        this.data = data;
        this.batch = batch;
        this.seqLen = seqLen;
        this.seed = seed;
        this.rank = rank;
        this.worldSize = worldSize;
        this.shuffle = shuffle;
        this.rows = data.rows(seqLen);
        long global = (long) batch * worldSize;
        if (rows < global) {
            throw new DataException("batch loader: " + rows + " rows of " + (seqLen + 1) + " tokens (" + data.length()
                    + " tokens), a global batch of " + batch + " x " + worldSize + " rank(s) needs " + global + " rows");
        }
        this.stepsPerEpoch = (int) (rows / global);
    }

    /** Single process, shuffled. */
    public BatchLoader(TokenDataset data, int batch, int seqLen, long seed) {
        this(data, batch, seqLen, seed, 0, 1, true);
    }

    public int rows() {
        return rows;
    }

    public int stepsPerEpoch() {
        return stepsPerEpoch;
    }

    public State state() {
        return new State(seed, epoch, step, batch, seqLen, rank, worldSize);
    }

    /** Continues from a saved state; the seed, batch, sequence length and sharding must be this loader's. */
    public void restore(State s) {
        if (s.seed() != seed || s.batch() != batch || s.seqLen() != seqLen || s.rank() != rank
                || s.worldSize() != worldSize) {
            throw new DataException("batch loader: cannot resume from " + s + ": expected seed " + seed + ", batch "
                    + batch + ", sequence " + seqLen + ", rank " + rank + " of " + worldSize);
        }
        if (s.epoch() < 0 || s.step() < 0 || s.step() > stepsPerEpoch) {
            throw new DataException("batch loader: cannot resume from " + s + ": step expected in [0, "
                    + stepsPerEpoch + "] (the dataset has changed?)");
        }
        this.epoch = s.epoch();
        this.step = s.step();
    }

    /** The next batch of this rank; moves to the next epoch after the last step. */
    public Batch next() {
        if (step == stepsPerEpoch) {
            epoch++;
            step = 0;
        }
        int[] perm = permutation(epoch);
        int[] inputs = new int[batch * seqLen];
        int[] targets = new int[batch * seqLen];
        int[] row = new int[seqLen + 1];
        int[] rowIndices = new int[batch];
        int first = (step * worldSize + rank) * batch;
        for (int b = 0; b < batch; b++) {
            rowIndices[b] = perm[first + b];
            data.row(rowIndices[b], seqLen, row, 0);
            System.arraycopy(row, 0, inputs, b * seqLen, seqLen);
            System.arraycopy(row, 1, targets, b * seqLen, seqLen);
        }
        Batch out = new Batch(inputs, targets, rowIndices, batch, seqLen, epoch, step);
        step++;
        return out;
    }

    private int[] permutation(long e) {
        if (permutationEpoch != e) {
            if (shuffle) {
                permutation = SplitMix64.permutation(rows, seed + e * EPOCH_SEED_STEP);
            } else {
                permutation = new int[rows];
                for (int i = 0; i < rows; i++) permutation[i] = i;
            }
            permutationEpoch = e;
        }
        return permutation;
    }
}

package minitron.transformer.data;

/**
 * A contiguous range [start, end) of a {@link TokenCache}'s packed stream, cut into training rows.
 *
 * <p>Rows (nanoGPT style): with sequence length T, row r is the T + 1 tokens [start + r*T, start + r*T + T + 1);
 * its inputs are the first T, its targets the last T (inputs shifted by one). Consecutive rows share one token,
 * so every token after the first is a target exactly once. There are {@code (length - 1) / T} rows; the last
 * {@code (length - 1) % T} tokens are not used (see {@link #unusedTokens}). Rows cross document boundaries: the
 * EOS of one document is followed by the BOS of the next, so the model learns to start over after an EOS.
 */
public final class TokenDataset {
    private final TokenCache cache;
    private final long start;
    private final long end;

    TokenDataset(TokenCache cache, long start, long end) {
        if (start < 0 || end > cache.tokenCount() || start > end) {
            throw new DataException("token dataset: range expected inside [0, " + cache.tokenCount() + "], got ["
                    + start + ", " + end + ")");
        }
        this.cache = cache;
        this.start = start;
        this.end = end;
    }

    public TokenCache cache() {
        return cache;
    }

    public long start() {
        return start;
    }

    public long end() {
        return end;
    }

    public long length() {
        return end - start;
    }

    /** Number of rows of T + 1 tokens; an error naming the counts when there is not even one. */
    public int rows(int seqLen) {
        if (seqLen <= 0) {
            throw new DataException("token dataset: sequence length expected > 0, got " + seqLen);
        }
        if (length() == 0) {
            throw new DataException("token dataset " + cache.file() + ": expected tokens, got an empty dataset");
        }
        long rows = (length() - 1) / seqLen;
        if (rows == 0) {
            throw new DataException("token dataset " + cache.file() + ": the text is shorter than one sequence: "
                    + length() + " tokens, a sequence of " + seqLen + " needs " + (seqLen + 1));
        }
        if (rows > Integer.MAX_VALUE) {
            throw new DataException("token dataset: expected at most " + Integer.MAX_VALUE + " rows, got " + rows);
        }
        return (int) rows;
    }

    /** Tokens left over after the last full row. */
    public long unusedTokens(int seqLen) {
        return (length() - 1) % seqLen;
    }

    /** Copies row r (T + 1 tokens) into out at outOffset. */
    public void row(int r, int seqLen, int[] out, int outOffset) {
        cache.tokens(start + (long) r * seqLen, out, outOffset, seqLen + 1);
    }

    /**
     * Splits off the last {@code fraction} of this range as validation: the cut is at the first document start
     * (a BOS) at or after the target position when there is one before the end, else exactly at the target
     * position (one long document). Returns {train, validation}: disjoint, and together this whole range.
     */
    public TokenDataset[] splitTail(double fraction) {
        if (!(fraction > 0 && fraction < 1)) {
            throw new DataException("validation split: fraction expected in (0, 1), got " + fraction);
        }
        long target = start + Math.round(length() * (1 - fraction));
        long cut = target;
        long lo = 0;
        long hi = cache.documentCount();
        // First document start >= target (binary search over the sorted starts).
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            if (cache.documentStart(mid) < target) lo = mid + 1;
            else hi = mid;
        }
        if (lo < cache.documentCount() && cache.documentStart(lo) < end && cache.documentStart(lo) > start) {
            cut = cache.documentStart(lo);
        }
        return new TokenDataset[] {new TokenDataset(cache, start, cut), new TokenDataset(cache, cut, end)};
    }
}

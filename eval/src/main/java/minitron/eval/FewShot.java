package minitron.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * k-shot example sampling. lm-eval-harness's default sampler draws k + 1 documents from the few-shot pool with
 * a Random seeded once (1234) and used in document order, drops the evaluated document if it was drawn, and
 * keeps k. We do the same with {@code java.util.Random(seed)} (so the draws differ from Python's Mersenne
 * Twister, but are fixed by the seed): a partial Fisher-Yates shuffle of the pool's indices picks k + 1
 * distinct documents in draw order. One sampler serves a whole task, in document order.
 */
public final class FewShot<D> {
    private final List<D> pool;
    private final Random random;

    public FewShot(List<D> pool, long seed) {
        this.pool = pool;
        this.random = new Random(seed);
    }

    /**
     * k examples for doc (never doc itself, compared with equals). A null doc: the pool is another split (a few-shot
     * file), and lm-eval 0.4.13 then passes no document to remove ({@code ContextSampler.sample(n, eval_doc=None)}
     * draws n): k documents are drawn and kept, even one equal to the evaluated document.
     */
    public List<D> sample(D doc, int k) {
        if (k == 0) return List.of();
        if (doc == null) {
            if (pool.size() < k) {
                throw new EvalException("few-shot: expected at least " + k + " examples in the few-shot file, found "
                        + pool.size());
            }
            return draw(k);
        }
        if (pool.size() < k + (pool.contains(doc) ? 1 : 0)) {
            throw new EvalException("few-shot: expected at least " + k + " examples in the few-shot pool besides the "
                    + "document, found a pool of " + pool.size());
        }
        List<D> out = new ArrayList<>();
        for (D candidate : draw(Math.min(k + 1, pool.size()))) {
            if (!candidate.equals(doc)) out.add(candidate);
        }
        return out.subList(0, k);
    }

    /** n distinct documents of the pool in draw order: a partial Fisher-Yates shuffle of its indices. */
    private List<D> draw(int n) {
        int[] index = new int[pool.size()];
        for (int i = 0; i < index.length; i++) index[i] = i;
        List<D> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int j = i + random.nextInt(index.length - i);
            int tmp = index[i];
            index[i] = index[j];
            index[j] = tmp;
            out.add(pool.get(index[i]));
        }
        return out;
    }

    /**
     * lm-eval's first_n sampler (MMLU): the first k documents of the pool that are not doc; {@code poolName} says
     * which pool in the error when there are fewer (MMLU: the subject).
     */
    public static <D> List<D> firstN(List<D> pool, D doc, int k, String poolName) {
        List<D> out = new ArrayList<>();
        for (D d : pool) {
            if (out.size() == k) break;
            if (!d.equals(doc)) out.add(d);
        }
        if (out.size() < k) {
            throw new EvalException("few-shot: expected " + k + " examples of " + poolName + " in the pool, found "
                    + out.size());
        }
        return out;
    }
}

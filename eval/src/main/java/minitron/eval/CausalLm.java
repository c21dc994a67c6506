package minitron.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * What evaluation needs from a causal language model: next-token log-probabilities of given targets, and the
 * greedy next token. Everything else (continuations after a shared context, generation) has a default built on
 * those two by full forwards; a model with a KV cache overrides {@link #continuationLogprobs} and
 * {@link #greedyContinuation} to compute a shared context once.
 *
 * <p>Conventions: token ids are ints in [0, vocabSize); a sequence given to the model has at most
 * {@link #maxContext()} tokens (callers truncate, see {@link Scoring}); log-probabilities are natural logs,
 * computed in double from the model's logits (log-softmax over the whole vocabulary).
 */
public interface CausalLm {

    int vocabSize();

    /** The most tokens one forward may see (max_position_embeddings, or less). */
    int maxContext();

    /** The BOS token id, or null when the model has none. */
    Integer bosId();

    /** The end-of-sequence token ids (generation stops at any of them); empty when none. */
    List<Integer> eosIds();

    /**
     * For each sequence i: out[i][j] = log P(targets[i][j] | inputs[i][0..j]) for j in [0, inputs[i].length),
     * i.e. the log-softmax of the logits at position j, read at the target token. The sequences are independent
     * and may differ in length; an implementation batches them as it can.
     */
    List<double[]> targetLogprobs(List<int[]> inputs, List<int[]> targets);

    /** The argmax of the next-token logits after the whole sequence (ties: the lowest id). */
    int greedyNext(int[] tokens);

    /**
     * The token id that lm-eval-harness calls {@code prefix_token_id}: the BOS, else the first EOS. It is the
     * context of the first token of a rolling perplexity window and of a continuation with an empty context.
     */
    default int prefixTokenId() {
        if (bosId() != null) return bosId();
        if (!eosIds().isEmpty()) return eosIds().getFirst();
        throw new EvalException("model: expected a BOS or an EOS token id (the prefix token of rolling windows "
                + "and empty contexts), found neither in the model's config");
    }

    /** One context and the continuations to score after it. */
    record ContextRequest(int[] context, List<int[]> continuations) {
    }

    /**
     * For each request and each of its continuations: the log-probability of every continuation token given the
     * context and the continuation tokens before it. lm-eval-harness's {@code _loglikelihood_tokens}: the model
     * reads (context + continuation)[:-1] and the last len(continuation) positions are read at the continuation
     * tokens. The context must hold at least one token and context + continuation at most maxContext() + 1.
     *
     * <p>Default: one full forward per (context, continuation), all of them in one {@link #targetLogprobs}
     * call (batched there). A model with a KV cache computes each context once instead.
     */
    default List<List<double[]>> continuationLogprobs(List<ContextRequest> requests) {
        List<int[]> inputs = new ArrayList<>();
        List<int[]> targets = new ArrayList<>();
        for (ContextRequest r : requests) {
            checkRequest(r, maxContext());
            for (int[] continuation : r.continuations()) {
                int[] whole = concat(r.context(), continuation);
                int[] input = new int[whole.length - 1];
                int[] target = new int[whole.length - 1];
                System.arraycopy(whole, 0, input, 0, input.length);   // whole[:-1]
                System.arraycopy(whole, 1, target, 0, target.length); // whole[1:]
                inputs.add(input);
                targets.add(target);
            }
        }
        List<double[]> all = targetLogprobs(inputs, targets);
        List<List<double[]>> out = new ArrayList<>();
        int k = 0;
        for (ContextRequest r : requests) {
            List<double[]> perContinuation = new ArrayList<>();
            for (int[] continuation : r.continuations()) {
                double[] rowLogprobs = all.get(k++);
                double[] tail = new double[continuation.length];      // the last len(continuation) positions
                System.arraycopy(rowLogprobs, rowLogprobs.length - tail.length, tail, 0, tail.length);
                perContinuation.add(tail);
            }
            out.add(perContinuation);
        }
        return out;
    }

    /**
     * Greedy decoding: appends the argmax token one at a time to the prompt until {@code stop} says so (it sees
     * the tokens generated so far), an EOS token, or maxNewTokens; returns the generated tokens (an EOS that
     * stopped it is not included). Default: a full forward per new token.
     */
    default int[] greedyContinuation(int[] prompt, int maxNewTokens, StopCondition stop) {
        List<Integer> generated = new ArrayList<>();
        int[] sequence = prompt.clone();
        while (generated.size() < maxNewTokens && sequence.length < maxContext()) {
            int next = greedyNext(sequence);
            if (eosIds().contains(next)) break;
            generated.add(next);
            sequence = concat(sequence, new int[] {next});
            if (stop.shouldStop(generated)) break;
        }
        return generated.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Decides after each generated token whether generation is over (a stop sequence appeared). */
    interface StopCondition {
        boolean shouldStop(List<Integer> generatedSoFar);
    }

    /** Checks one request against the contract of {@link #continuationLogprobs}. */
    static void checkRequest(ContextRequest r, int maxContext) {
        if (r.context().length == 0) {
            throw new EvalException("continuationLogprobs: expected a context of at least one token (lm-eval uses "
                    + "the prefix token for an empty context), found an empty context");
        }
        for (int[] continuation : r.continuations()) {
            if (continuation.length == 0) {
                throw new EvalException("continuationLogprobs: expected a non-empty continuation, found an empty one");
            }
            if (r.context().length + continuation.length > maxContext + 1) {
                throw new EvalException("continuationLogprobs: expected context + continuation <= maxContext + 1 = "
                        + (maxContext + 1) + " tokens, found " + r.context().length + " + " + continuation.length
                        + " (truncate the context first)");
            }
        }
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = new int[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

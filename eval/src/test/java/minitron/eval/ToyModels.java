package minitron.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Hand-made models and tokenizers whose log-probabilities can be computed directly in a test. */
final class ToyModels {
    private ToyModels() {
    }

    /**
     * A model given by a function from the whole context to next-token logits (float, as a real model's).
     * Every call to targetLogprobs is recorded (the inputs it saw).
     */
    static class FunctionModel implements CausalLm {
        final int vocab;
        final int maxContext;
        final Integer bos;
        final List<Integer> eos;
        final Function<int[], float[]> logitsOf;
        final List<int[]> seenInputs = new ArrayList<>();

        FunctionModel(int vocab, int maxContext, Integer bos, List<Integer> eos, Function<int[], float[]> logitsOf) {
            this.vocab = vocab;
            this.maxContext = maxContext;
            this.bos = bos;
            this.eos = eos;
            this.logitsOf = logitsOf;
        }

        /** log P(next | context) straight from the definition (the direct computation tests compare with). */
        double logprob(int[] context, int next) {
            return LogSoftmax.at(logitsOf.apply(context), 0, vocab, next);
        }

        @Override
        public int vocabSize() {
            return vocab;
        }

        @Override
        public int maxContext() {
            return maxContext;
        }

        @Override
        public Integer bosId() {
            return bos;
        }

        @Override
        public List<Integer> eosIds() {
            return eos;
        }

        @Override
        public List<double[]> targetLogprobs(List<int[]> inputs, List<int[]> targets) {
            List<double[]> out = new ArrayList<>();
            for (int i = 0; i < inputs.size(); i++) {
                int[] input = inputs.get(i);
                if (input.length > maxContext) {
                    throw new AssertionError("model saw " + input.length + " tokens, more than its context " + maxContext);
                }
                seenInputs.add(input.clone());
                double[] lp = new double[input.length];
                for (int j = 0; j < input.length; j++) {
                    lp[j] = logprob(Arrays.copyOfRange(input, 0, j + 1), targets.get(i)[j]);
                }
                out.add(lp);
            }
            return out;
        }

        @Override
        public int greedyNext(int[] tokens) {
            return LogSoftmax.argmax(logitsOf.apply(tokens), 0, vocab);
        }
    }

    /** A bigram model: logits[prev][next] = log p[prev][next] (rows of probabilities given by the test). */
    static FunctionModel bigram(double[][] p, int maxContext, Integer bos, List<Integer> eos) {
        return new FunctionModel(p.length, maxContext, bos, eos, context -> {
            double[] row = p[context[context.length - 1]];
            float[] logits = new float[row.length];
            for (int k = 0; k < row.length; k++) logits[k] = (float) Math.log(row[k]);
            return logits;
        });
    }

    /** A model whose next-token distribution depends on every token of the context and on its length. */
    static FunctionModel wholeContext(int vocab, int maxContext, Integer bos) {
        return new FunctionModel(vocab, maxContext, bos, List.of(), context -> {
            long h = 17;
            for (int j = 0; j < context.length; j++) h = h * 31 + (context[j] + 1) * (j + 7);
            float[] logits = new float[vocab];
            for (int k = 0; k < vocab; k++) logits[k] = (float) (2 * Math.sin(0.37 * k + 0.001 * (h % 100003)));
            return logits;
        });
    }

    /** One id per character of an alphabet; the BOS is the id after the last character. */
    static final class CharEncoder implements TokenEncoder {
        final String alphabet;

        CharEncoder(String alphabet) {
            this.alphabet = alphabet;
        }

        int bos() {
            return alphabet.length();
        }

        @Override
        public int[] encode(String text, boolean addBos) {
            int[] ids = new int[text.length() + (addBos ? 1 : 0)];
            int k = 0;
            if (addBos) ids[k++] = bos();
            for (char c : text.toCharArray()) {
                int id = alphabet.indexOf(c);
                if (id < 0) throw new AssertionError("character '" + c + "' is not in the toy alphabet");
                ids[k++] = id;
            }
            return ids;
        }

        @Override
        public String decode(int[] ids) {
            StringBuilder sb = new StringBuilder();
            for (int id : ids) sb.append(id == bos() ? "<s>" : String.valueOf(alphabet.charAt(id)));
            return sb.toString();
        }
    }

    /**
     * Word pieces as a BPE gives them: " word" (a leading space joins the word), or a run of white space.
     * Ids are handed out on first sight, below a fixed vocabulary size.
     */
    static final class WordEncoder implements TokenEncoder {
        final Map<String, Integer> ids = new HashMap<>();
        final List<String> pieces = new ArrayList<>();
        final int vocab;

        WordEncoder(int vocab) {
            this.vocab = vocab;
        }

        List<String> split(String text) {
            List<String> out = new ArrayList<>();
            Matcher m = Pattern.compile(" ?\\S+|\\s+").matcher(text);
            while (m.find()) out.add(m.group());
            return out;
        }

        int id(String piece) {
            return ids.computeIfAbsent(piece, p -> {
                pieces.add(p);
                if (pieces.size() > vocab) throw new AssertionError("toy vocabulary full");
                return pieces.size() - 1;
            });
        }

        @Override
        public int[] encode(String text, boolean addBos) {
            List<String> parts = split(text);
            int[] out = new int[parts.size()];
            for (int i = 0; i < out.length; i++) out[i] = id(parts.get(i));
            return out;
        }

        @Override
        public String decode(int[] tokenIds) {
            StringBuilder sb = new StringBuilder();
            for (int id : tokenIds) sb.append(pieces.get(id));
            return sb.toString();
        }
    }
}

package minitron.cli;

import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import minitron.autograd.NoGrad;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;
import minitron.transformer.model.LlamaModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code minitron logits}: the logits of a model for given ids, the hook for auditing against any other
 * implementation (HF transformers, llama.cpp, ...).
 */
@Command(name = "logits", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Runs the model on token ids (one sequence, positions 0..T-1, weights used in place from the "
                + "memory-mapped checkpoint) and prints the logits of the last position and the argmax at every position.",
                "--json prints {\"last\": [V logits], \"argmax\": [T ids]} (a NaN or infinite logit as null, with a "
                        + "warning). Errors: one message on stderr, exit code 1."})
public final class LogitsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "HF model directory: config.json and model.safetensors (or shards with model.safetensors.index.json)")
    Path model;

    @Option(names = "--ids", required = true, paramLabel = "\"1 2 3\"",
            description = "token ids separated by spaces or commas")
    String ids;

    @Option(names = "--json", description = "print one JSON object {\"last\": [...], \"argmax\": [...]}")
    boolean json;

    @Override
    public Integer call() {
        try {
            int[] tokens = parseIds(ids);
            try (LlamaModel m = Options.loadModel("logits", model);
                 NoGrad scope = NoGrad.enter()) {
                checkVocabulary(tokens, m.config.vocabSize());
                if (tokens.length > m.config.maxPositionEmbeddings()) {
                    System.err.println("minitron logits: warning: " + tokens.length + " ids, past max_position_embeddings "
                            + m.config.maxPositionEmbeddings() + " of the config; the model was not trained on those positions");
                }
                Tensor logits = m.forward(Tensor.of(tokens, 1, tokens.length)).value();          // (1, T, V)
                float[] last = logits.select(0, 0).select(0, tokens.length - 1).toFloatArray();   // (V)
                int[] argmax = Ops.cpu().argmax(logits.select(0, 0), -1).toIntArray();           // (T)
                long notFinite = IntStream.range(0, last.length).filter(i -> !Float.isFinite(last[i])).count();
                if (json && notFinite > 0) {
                    System.err.println("minitron logits: warning: " + notFinite + " of the last position's logits are NaN "
                            + "or infinite, written as null (JSON has no such numbers)");
                }
                System.out.println(json ? toJson(last, argmax) : toText(last, argmax));
            }
            return 0;
        } catch (RuntimeException e) {
            System.err.println("minitron logits: " + e.getMessage());
            return 1;
        }
    }

    /** "1 2 3", "1,2,3" or "1, 2, 3" -> ids; a clear error for anything else, an empty id between commas included. */
    static int[] parseIds(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("--ids: expected at least one token id, found \"" + text + "\"");
        }
        String[] parts = trimmed.split("\\s*,\\s*|\\s+", -1);
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].isEmpty()) {
                throw new IllegalArgumentException("--ids: expected an integer at position " + i + " of \"" + text
                        + "\", found nothing (two commas in a row, or a comma at an end)");
            }
            try {
                out[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--ids: expected integers, found \"" + parts[i] + "\" at position " + i);
            }
        }
        return out;
    }

    static void checkVocabulary(int[] tokens, int vocabSize) {
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new IllegalArgumentException("--ids: expected ids in [0, " + vocabSize + ") (the model's vocab_size), found "
                        + tokens[i] + " at position " + i);
            }
        }
    }

    static String toJson(float[] last, int[] argmax) {
        StringJoiner l = new StringJoiner(", ", "[", "]");
        for (float v : last) l.add(Float.isFinite(v) ? Float.toString(v) : "null");
        StringJoiner a = new StringJoiner(", ", "[", "]");
        for (int v : argmax) a.add(Integer.toString(v));
        return "{\"last\": " + l + ", \"argmax\": " + a + "}";
    }

    static String toText(float[] last, int[] argmax) {
        StringBuilder sb = new StringBuilder();
        sb.append("argmax at each position: ");
        for (int i = 0; i < argmax.length; i++) sb.append(i == 0 ? "" : " ").append(argmax[i]);
        sb.append("\nlast position, top 5 logits:");
        boolean[] used = new boolean[last.length];
        for (int k = 0; k < Math.min(5, last.length); k++) {
            int best = -1;
            for (int i = 0; i < last.length; i++) if (!used[i] && (best < 0 || last[i] > last[best])) best = i;
            used[best] = true;
            sb.append(String.format("%n  id %d: %.6f", best, last[best]));
        }
        return sb.toString();
    }
}

// Runs Minitron-J's sampling filters on many rows of logits in one JVM, for reference/fuzz_hf_generate.py.
//
//   export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
//   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector -cp cli/target/minitron.jar \
//       reference/SampleFilters.java < IN.jsonl > OUT.jsonl
//
// Each stdin line is one case:
//   {"logits": [V numbers, or "inf" / "-inf" / "nan"], "temperature": T, "top_k": K, "top_p": P}
// the logits are read as float32 (each number, written as the exact double of a float32, is cast back to float).
// For each case one line goes to stdout, in order:
//   {"kept": [indices], "probs": [V numbers]}
// kept = the tokens that Sampler.filteredLogits leaves finite (HF's scores after temperature, top-k and top-p in
// that order: the removed ones are -inf), probs = Sampler.probabilities (the softmax of those scores, in double).
// Settings that Sampler.Settings refuses, or anything else the library throws, give {"error": "..."} instead.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron.transformer.generate.Sampler;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

public class SampleFilters {
    public static void main(String[] args) throws Exception {
        if (args.length != 0) {
            System.err.println("usage: java --add-modules jdk.incubator.vector -cp cli/target/minitron.jar "
                    + "reference/SampleFilters.java < cases.jsonl > results.jsonl");
            System.exit(2);
        }
        ObjectMapper mapper = new ObjectMapper();
        long start = System.nanoTime();
        int count = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
             Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) continue;
                JsonNode c = mapper.readTree(line);
                ObjectNode result = mapper.createObjectNode();
                try {
                    float[] logits = floats(c.get("logits"));
                    Sampler.Settings settings = new Sampler.Settings(c.get("temperature").asDouble(),
                            c.get("top_k").asInt(), c.get("top_p").asDouble(), 0);
                    double[] scores = Sampler.filteredLogits(logits, settings);
                    double[] probs = Sampler.probabilities(logits, settings);
                    ArrayNode kept = result.putArray("kept");
                    for (int i = 0; i < scores.length; i++) if (scores[i] != Double.NEGATIVE_INFINITY) kept.add(i);
                    ArrayNode p = result.putArray("probs");
                    for (double x : probs) {
                        if (Double.isFinite(x)) p.add(x); else p.add(Double.toString(x));   // NaN as "NaN"
                    }
                } catch (RuntimeException e) {
                    result.removeAll();
                    result.put("error", e.toString());
                }
                out.write(mapper.writeValueAsString(result));
                out.write('\n');
                count++;
            }
        }
        System.err.printf("SampleFilters: %d cases in %.1f s%n", count, (System.nanoTime() - start) / 1e9);
    }

    /** A JSON array of numbers and "inf" / "-inf" / "nan" strings, as float32. */
    static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode x = array.get(i);
            out[i] = x.isTextual() ? switch (x.asText()) {
                case "inf" -> Float.POSITIVE_INFINITY;
                case "-inf" -> Float.NEGATIVE_INFINITY;
                case "nan" -> Float.NaN;
                default -> throw new IllegalArgumentException("logits[" + i + "]: expected a number, \"inf\", "
                        + "\"-inf\" or \"nan\", found \"" + x.asText() + "\"");
            } : (float) x.asDouble();
        }
        return out;
    }
}

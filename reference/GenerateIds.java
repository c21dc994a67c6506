// Greedy generation with Minitron-J's Generator (KV cache) on many prompts in one JVM, for
// reference/fuzz_hf_generate.py, which compares the ids with transformers' model.generate(do_sample=False).
//
//   export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
//   $JAVA_HOME/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
//       -cp cli/target/minitron.jar reference/GenerateIds.java < IN.jsonl > OUT.jsonl
//
// Each stdin line is one case:
//   {"model": DIR, "prompt": "text"} or {"model": DIR, "ids": [prompt ids]}, with "max_new_tokens": N and
//   optionally "eos": [ids]
// A "prompt" is encoded as `minitron generate --prompt` encodes it: DIR's tokenizer.json, BOS first when its
// tokenizer_config.json says add_bos_token. Without "eos" the ids that end generation are those of `minitron
// generate`: generation_config.json's eos_token_id, else config.json's, else the tokenizer's EOS.
// For each case one line goes to stdout, in order:
//   {"prompt_ids": [...], "ids": [new ids], "stop": "eos" | "length", "eos": [...], "text": "..."}
// text = the tokenizer's decode of the new ids, special tokens skipped (what `minitron generate` prints), absent
// without a tokenizer. The model is loaded as `minitron generate` loads it (inference mode, weights mapped) and kept
// while consecutive lines name the same DIR. An exception gives {"error": "..."} for that line.

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron.transformer.config.GenerationConfig;
import minitron.transformer.generate.Generator;
import minitron.transformer.generate.Sampler;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.Tokenizer;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.OptionalInt;
import java.util.Set;

public class GenerateIds {
    public static void main(String[] args) throws Exception {
        if (args.length != 0) {
            System.err.println("usage: java --add-modules jdk.incubator.vector -cp cli/target/minitron.jar "
                    + "reference/GenerateIds.java < cases.jsonl > results.jsonl");
            System.exit(2);
        }
        ObjectMapper mapper = new ObjectMapper();
        long start = System.nanoTime();
        int count = 0;
        String loadedDir = null;
        LlamaModel model = null;
        Tokenizer tokenizer = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
             Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) continue;
                JsonNode c = mapper.readTree(line);
                ObjectNode result = mapper.createObjectNode();
                try {
                    String dir = c.get("model").asText();
                    if (!dir.equals(loadedDir)) {
                        if (model != null) model.close();
                        model = null;
                        loadedDir = null;
                        model = LlamaModel.load(Path.of(dir), LlamaModel.Mode.INFERENCE,
                                warning -> System.err.println("GenerateIds: " + dir + ": warning: " + warning));
                        Path tokenizerFile = Path.of(dir, "tokenizer.json");
                        tokenizer = Files.exists(tokenizerFile) ? Tokenizer.load(tokenizerFile) : null;
                        loadedDir = dir;
                    }
                    int[] prompt;
                    if (c.has("prompt")) {
                        if (tokenizer == null) {
                            throw new IllegalArgumentException(dir + ": no tokenizer.json for \"prompt\"");
                        }
                        boolean bos = tokenizer.addBosToken() && tokenizer.bosId().isPresent();   // as GenerateCommand
                        prompt = tokenizer.encode(c.get("prompt").asText(), bos);
                    } else {
                        prompt = ints(c.get("ids"));
                    }
                    Set<Integer> eos = new LinkedHashSet<>();
                    if (c.has("eos")) {
                        for (int id : ints(c.get("eos"))) eos.add(id);
                    } else {
                        eos.addAll(GenerationConfig.stopIds(Path.of(dir), model.config,        // as GenerateCommand
                                tokenizer == null ? OptionalInt.empty() : tokenizer.eosId()));
                    }
                    Generator.Result r = new Generator(model).generate(prompt, c.get("max_new_tokens").asInt(),
                            new Sampler(Sampler.Settings.GREEDY), eos, null);
                    put(result.putArray("prompt_ids"), prompt);
                    put(result.putArray("ids"), r.ids());
                    result.put("stop", r.stop() == Generator.Stop.EOS ? "eos" : "length");
                    ArrayNode e = result.putArray("eos");
                    for (int id : eos) e.add(id);
                    if (tokenizer != null) result.put("text", tokenizer.decode(r.ids(), true));
                } catch (RuntimeException e) {
                    result.removeAll();
                    result.put("error", e.toString());
                }
                out.write(mapper.writeValueAsString(result));
                out.write('\n');
                out.flush();
                count++;
            }
        } finally {
            if (model != null) model.close();
        }
        System.err.printf("GenerateIds: %d cases in %.1f s%n", count, (System.nanoTime() - start) / 1e9);
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    static void put(ArrayNode node, int[] ids) {
        for (int id : ids) node.add(id);
    }
}

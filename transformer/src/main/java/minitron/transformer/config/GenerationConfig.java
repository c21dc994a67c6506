package minitron.transformer.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import minitron.transformer.io.IoErrors;

/**
 * What a model folder's {@code generation_config.json} says about stopping: HF's {@code generate} stops at its
 * {@code eos_token_id} (an id or a list), and falls back to config.json's only when the file or the field is
 * absent. Llama 3.1 Instruct's lists {@code <|eot_id|>} beside {@code <|end_of_text|>}. The sampling defaults there
 * (do_sample, temperature, top_p) are not read: {@code minitron generate}'s options have their own defaults.
 */
public final class GenerationConfig {
    public static final String FILE = "generation_config.json";

    private GenerationConfig() {
    }

    /**
     * The ids generation stops at, as HF's generate: generation_config.json's eos_token_id, else config.json's;
     * where neither names one, the tokenizer's EOS ({@code tokenizerEos}, empty when it has none), where HF would run
     * to the length.
     */
    public static Set<Integer> stopIds(Path modelDirectory, LlamaConfig config, OptionalInt tokenizerEos) {
        Set<Integer> ids = new LinkedHashSet<>(eosTokenIds(modelDirectory).orElse(config.eosTokenIds()));
        if (ids.isEmpty()) tokenizerEos.ifPresent(ids::add);
        return ids;
    }

    /** The eos_token_id of the folder's generation_config.json; empty when there is no such file or field. */
    public static Optional<List<Integer>> eosTokenIds(Path modelDirectory) {
        Path file = modelDirectory.resolve(FILE);
        if (!Files.isRegularFile(file)) return Optional.empty();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + IoErrors.reason(e), e);
        }
        JsonNode root = LlamaConfig.readObject(text, file.toString());
        if (!root.has("eos_token_id") || root.get("eos_token_id").isNull()) return Optional.empty();
        return Optional.of(new LlamaConfig.Fields(root, file.toString()).intOrIntList("eos_token_id"));
    }
}

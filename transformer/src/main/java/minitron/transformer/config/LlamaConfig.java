package minitron.transformer.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.transformer.io.AtomicFile;
import minitron.transformer.io.IoErrors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;
import minitron.transformer.io.StrictJson;

/**
 * The shape and numerics of a Llama 3.x or Mistral (NeMo) model, read from and written to an HF {@code config.json}.
 * Field names are the HF names in camel case ({@code hidden_size} is {@link #hiddenSize}); Mistral is Llama with a
 * different config, so one record covers both {@code model_type}s.
 *
 * <p>Legend used in shapes below: V = vocab_size, d = hidden_size, f = intermediate_size, L = num_hidden_layers,
 * H = num_attention_heads, G = num_key_value_heads, hd = head_dim.
 *
 * <p>Values that would change the math and are not implemented are refused when reading ({@link ConfigException}
 * naming the file, the field, the value and what is supported): another {@code rope_scaling} type,
 * {@code attention_bias: true}, {@code mlp_bias: true}, a {@code hidden_act} other than {@code silu}, a
 * {@code model_type} other than {@code llama} / {@code mistral}. Unknown fields that do not change the math
 * ({@code initializer_range}, {@code use_cache}, {@code transformers_version}, ...) are ignored.
 */
public record LlamaConfig(
        String modelType,              // model_type: "llama" or "mistral"
        int hiddenSize,                // hidden_size, d
        int intermediateSize,          // intermediate_size, f (SwiGLU width)
        int numHiddenLayers,           // num_hidden_layers, L
        int numAttentionHeads,         // num_attention_heads, H
        int numKeyValueHeads,          // num_key_value_heads, G (GQA: H % G == 0)
        int headDim,                   // head_dim, hd (default d / H; NeMo 12B and pruned models differ)
        double rmsNormEps,             // rms_norm_eps
        double ropeTheta,              // rope_theta
        RopeScaling ropeScaling,       // rope_scaling, null for none
        int maxPositionEmbeddings,     // max_position_embeddings
        int vocabSize,                 // vocab_size, V
        boolean tieWordEmbeddings,     // tie_word_embeddings: lm_head shares embed_tokens
        Integer bosTokenId,            // bos_token_id, null when absent
        List<Integer> eosTokenIds,     // eos_token_id: an int or a list in the file; empty when absent
        Integer slidingWindow,         // sliding_window, null for full attention
        String torchDtype) {           // torch_dtype ("bfloat16", "float32", ...), null when absent

    public static final String LLAMA = "llama";
    public static final String MISTRAL = "mistral";

    /** HF MistralConfig's default when {@code sliding_window} is absent from a mistral config. */
    public static final int MISTRAL_DEFAULT_SLIDING_WINDOW = 4096;

    /**
     * HF MistralConfig's default when {@code num_key_value_heads} is absent from a mistral config (Mistral 7B's value,
     * whatever num_attention_heads is; LlamaConfig's default is num_attention_heads). An explicit null is
     * num_attention_heads in both.
     */
    public static final int MISTRAL_DEFAULT_KEY_VALUE_HEADS = 8;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public LlamaConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        String where = "LlamaConfig";
        requireModelType(where, modelType);
        requirePositive(where, "hidden_size", hiddenSize);
        requirePositive(where, "intermediate_size", intermediateSize);
        requirePositive(where, "num_hidden_layers", numHiddenLayers);
        requirePositive(where, "num_attention_heads", numAttentionHeads);
        requirePositive(where, "num_key_value_heads", numKeyValueHeads);
        requirePositive(where, "head_dim", headDim);
        requirePositive(where, "vocab_size", vocabSize);
        requirePositive(where, "max_position_embeddings", maxPositionEmbeddings);
        if (numAttentionHeads % numKeyValueHeads != 0) {
            throw new ConfigException(where + ": num_attention_heads (" + numAttentionHeads
                    + ") must be a multiple of num_key_value_heads (" + numKeyValueHeads + ") for grouped-query attention");
        }
        if (!(rmsNormEps > 0)) {
            throw new ConfigException(where + ": rms_norm_eps must be > 0, got " + rmsNormEps);
        }
        if (!(ropeTheta > 0)) {
            throw new ConfigException(where + ": rope_theta must be > 0, got " + ropeTheta);
        }
        if (headDim % 2 != 0) {
            throw new ConfigException(where + ": head_dim must be even (RoPE rotates pairs of dimensions), got " + headDim);
        }
        requireDimension(where, "num_attention_heads * head_dim", (long) numAttentionHeads * headDim);
        requireDimension(where, "num_key_value_heads * head_dim", (long) numKeyValueHeads * headDim);
        if (bosTokenId != null && (bosTokenId < 0 || bosTokenId >= vocabSize)) {
            throw new ConfigException(where + ": bos_token_id must be in [0, vocab_size " + vocabSize + "), got " + bosTokenId);
        }
        for (int eos : eosTokenIds) {
            if (eos < 0 || eos >= vocabSize) {
                throw new ConfigException(where + ": eos_token_id must be in [0, vocab_size " + vocabSize + "), got " + eos);
            }
        }
        if (slidingWindow != null && slidingWindow <= 0) {
            throw new ConfigException(where + ": sliding_window must be positive or null, got " + slidingWindow);
        }
    }

    // ---------------------------------------------------------------- derived sizes

    /** Width of the query projection output, H * hd (equals d only when head_dim is the default). */
    public int queryWidth() {
        return numAttentionHeads * headDim;
    }

    /** Width of each of the key and value projection outputs, G * hd. */
    public int keyValueWidth() {
        return numKeyValueHeads * headDim;
    }

    /**
     * Number of parameters (DESIGN.md section 4): untied {@code 2Vd + L(2 d H hd + 2 d G hd + 3 d f + 2d) + d};
     * tied embeddings count the V x d matrix once.
     */
    public long parameterCount() {
        long v = vocabSize, d = hiddenSize, f = intermediateSize;
        long h = numAttentionHeads, g = numKeyValueHeads, hd = headDim;
        long embeddings = (tieWordEmbeddings ? 1 : 2) * v * d;
        long perLayer = 2 * d * h * hd      // q_proj, o_proj
                + 2 * d * g * hd            // k_proj, v_proj
                + 3 * d * f                 // gate_proj, up_proj, down_proj
                + 2 * d;                    // input_layernorm, post_attention_layernorm
        return embeddings + numHiddenLayers * perLayer + d;   // + model.norm
    }

    /** How many tensors {@link #expectedTensors()} lists: embeddings, 9 per layer, the final norm, an untied head. */
    public long expectedTensorCount() {
        return 2 + 9L * numHiddenLayers + (tieWordEmbeddings ? 0 : 1);
    }

    /**
     * The tensors an HF checkpoint of this config holds, with their shapes, in model order (embeddings, layers,
     * final norm, head). {@code lm_head.weight} is absent when embeddings are tied.
     */
    public SequencedMap<String, Shape> expectedTensors() {
        int d = hiddenSize, f = intermediateSize;
        SequencedMap<String, Shape> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", Shape.of(vocabSize, d));                  // (V, d)
        for (int i = 0; i < numHiddenLayers; i++) {
            String p = "model.layers." + i + ".";
            out.put(p + "input_layernorm.weight", Shape.of(d));                        // (d)
            out.put(p + "self_attn.q_proj.weight", Shape.of(queryWidth(), d));         // (H*hd, d)
            out.put(p + "self_attn.k_proj.weight", Shape.of(keyValueWidth(), d));      // (G*hd, d)
            out.put(p + "self_attn.v_proj.weight", Shape.of(keyValueWidth(), d));      // (G*hd, d)
            out.put(p + "self_attn.o_proj.weight", Shape.of(d, queryWidth()));         // (d, H*hd)
            out.put(p + "post_attention_layernorm.weight", Shape.of(d));               // (d)
            out.put(p + "mlp.gate_proj.weight", Shape.of(f, d));                       // (f, d)
            out.put(p + "mlp.up_proj.weight", Shape.of(f, d));                         // (f, d)
            out.put(p + "mlp.down_proj.weight", Shape.of(d, f));                       // (d, f)
        }
        out.put("model.norm.weight", Shape.of(d));                                     // (d)
        if (!tieWordEmbeddings) {
            out.put("lm_head.weight", Shape.of(vocabSize, d));                         // (V, d)
        }
        return out;
    }

    // ---------------------------------------------------------------- reading

    /** Reads {@code config.json} (a file, or a model directory that contains one). */
    public static LlamaConfig read(Path fileOrDirectory) {
        Path file = Files.isDirectory(fileOrDirectory) ? fileOrDirectory.resolve("config.json") : fileOrDirectory;
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file (a model directory needs an HF config.json)", e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + IoErrors.reason(e), e);
        }
        return parse(text, file.toString());
    }

    /** Parses the text of a config.json; {@code source} names it in error messages. */
    public static LlamaConfig parse(String json, String source) {
        JsonNode root = readObject(json, source);
        Fields f = new Fields(root, source);

        String modelType = f.string("model_type", null);
        if (modelType == null) {
            throw new ConfigException(source + ": missing field model_type (supported: llama, mistral)");
        }
        requireModelType(source, modelType);
        f.refuseUnless("hidden_act", "silu", "silu (SwiGLU with SiLU gate)");
        f.refuseTrue("attention_bias", "only attention without bias is implemented (attention_bias false)");
        f.refuseTrue("mlp_bias", "only an MLP without bias is implemented (mlp_bias false)");

        int hiddenSize = f.requiredInt("hidden_size");
        int heads = f.requiredInt("num_attention_heads");
        requirePositive(source, "num_attention_heads", heads);   // before hidden_size % heads: 0 was "/ by zero"
        // An absent num_key_value_heads: HF's LlamaConfig takes num_attention_heads, MistralConfig 8.
        boolean mistral = MISTRAL.equals(modelType);
        int kvHeads;
        if (mistral && !root.has("num_key_value_heads")) {
            kvHeads = MISTRAL_DEFAULT_KEY_VALUE_HEADS;
            if (heads % kvHeads != 0) {
                throw new ConfigException(source + ": num_key_value_heads is absent, which a mistral config reads as "
                        + "MistralConfig's default " + kvHeads + ", and num_attention_heads (" + heads
                        + ") is not a multiple of it; give num_key_value_heads explicitly");
            }
        } else {
            kvHeads = f.optionalInt("num_key_value_heads", heads);
        }
        Integer headDimField = f.nullableInt("head_dim");
        if (headDimField == null && hiddenSize % heads != 0) {
            throw new ConfigException(source + ": head_dim is absent and hidden_size (" + hiddenSize
                    + ") is not a multiple of num_attention_heads (" + heads + "); give head_dim explicitly");
        }
        int headDim = headDimField != null ? headDimField : hiddenSize / heads;

        // HF's LlamaModel has no sliding window (a sliding_window field in a llama config is ignored there too);
        // MistralConfig defaults an absent sliding_window to 4096.
        Integer slidingWindow = !mistral ? null
                : root.has("sliding_window") ? f.nullableInt("sliding_window")
                : Integer.valueOf(MISTRAL_DEFAULT_SLIDING_WINDOW);

        // transformers 5 moves rope_theta and the scaling fields into one "rope_parameters" object; files written
        // in between may carry both spellings (then they must agree), and "rope_scaling": null next to it.
        JsonNode ropeParameters = root.get("rope_parameters");
        JsonNode ropeScalingNode = root.get("rope_scaling");
        boolean v5Rope = ropeParameters != null && !ropeParameters.isNull();
        if (v5Rope && !ropeParameters.isObject()) {
            throw new ConfigException(source + ": rope_parameters must be an object or null, got " + ropeParameters);
        }
        RopeScaling ropeScaling = parseRopeScaling(v5Rope ? ropeParameters : ropeScalingNode, source,
                v5Rope ? "rope_parameters." : "rope_scaling.");
        if (v5Rope && ropeScalingNode != null && !ropeScalingNode.isNull()) {
            // both spellings: compared as the scaling they describe (rope_type or type; rope_theta is not scaling)
            RopeScaling old = parseRopeScaling(ropeScalingNode, source, "rope_scaling.");
            if (!Objects.equals(old, ropeScaling)) {
                throw new ConfigException(source + ": rope_scaling " + ropeScalingNode + " and rope_parameters "
                        + ropeParameters + " disagree; keep one of them (transformers 5 reads rope_parameters)");
            }
        }
        double ropeTheta;
        if (v5Rope && ropeParameters.has("rope_theta")) {
            ropeTheta = new Fields(ropeParameters, source, "rope_parameters.").number("rope_theta", 10000.0);
            JsonNode top = root.get("rope_theta");    // absent or null beside it: the inner value alone
            if (top != null && !top.isNull() && f.number("rope_theta", ropeTheta) != ropeTheta) {
                throw new ConfigException(source + ": rope_theta " + top + " and rope_parameters.rope_theta "
                        + ropeTheta + " disagree; keep one of them");
            }
        } else {
            ropeTheta = f.number("rope_theta", 10000.0);
        }

        try {
            return new LlamaConfig(
                    modelType,
                    hiddenSize,
                    f.requiredInt("intermediate_size"),
                    f.requiredInt("num_hidden_layers"),
                    heads,
                    kvHeads,
                    headDim,
                    f.number("rms_norm_eps", 1e-6),
                    ropeTheta,
                    ropeScaling,
                    f.optionalInt("max_position_embeddings", mistral ? 4096 * 32 : 2048),
                    f.requiredInt("vocab_size"),
                    f.bool("tie_word_embeddings", false),
                    f.nullableInt("bos_token_id"),
                    f.intOrIntList("eos_token_id"),
                    slidingWindow,
                    torchDtype(f.string("torch_dtype", f.string("dtype", null)), source)); // "dtype" since 4.56
        } catch (ConfigException e) {
            // The record's own checks name "LlamaConfig"; name the file instead.
            throw new ConfigException(e.getMessage().replaceFirst("^LlamaConfig", source), e);
        }
    }

    /** The JSON object of a config file (one value, no duplicate keys); {@code source} names it in errors. */
    static JsonNode readObject(String json, String source) {
        JsonNode root;
        try {
            root = StrictJson.readOne(JSON, json);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new ConfigException(source + ": expected a JSON object at the top level, got "
                    + (root == null || root.isMissingNode() ? "an empty file" : root.getNodeType()));
        }
        return root;
    }

    private static RopeScaling parseRopeScaling(JsonNode node, String source, String prefix) {
        if (node == null || node.isNull()) return null;
        String name = prefix.substring(0, prefix.length() - 1);
        if (!node.isObject()) {
            throw new ConfigException(source + ": " + name + " must be an object or null, got " + node);
        }
        Fields f = new Fields(node, source, prefix);
        String typeKey = node.has("rope_type") ? "rope_type" : "type";
        String type = f.string(typeKey, null);
        if (type == null) {
            throw new ConfigException(source + ": " + name + " has neither rope_type nor type (supported: llama3, linear)");
        }
        try {
            return ropeScalingOf(type, typeKey, f, source, prefix);
        } catch (ConfigException e) {
            if (e.getMessage().startsWith("rope_scaling: ")) {   // the record's own checks: name the file
                throw new ConfigException(source + ": " + prefix + e.getMessage().substring("rope_scaling: ".length()), e);
            }
            throw e;
        }
    }

    private static RopeScaling ropeScalingOf(String type, String typeKey, Fields f, String source, String prefix) {
        return switch (type) {
            case "default" -> null;   // HF's name for no scaling
            case RopeScaling.LLAMA3 -> RopeScaling.llama3(
                    f.requiredNumber("factor"),
                    f.requiredNumber("low_freq_factor"),
                    f.requiredNumber("high_freq_factor"),
                    f.requiredInt("original_max_position_embeddings"));
            case RopeScaling.LINEAR -> RopeScaling.linear(f.requiredNumber("factor"));
            default -> throw new ConfigException(source + ": " + prefix + typeKey + " \"" + type
                    + "\" is not supported (supported: llama3, linear, default); it would change the RoPE frequencies");
        };
    }

    private static void requireModelType(String where, String modelType) {
        if (!LLAMA.equals(modelType) && !MISTRAL.equals(modelType)) {
            throw new ConfigException(where + ": model_type \"" + modelType + "\" is not supported (supported: llama, mistral)");
        }
    }

    /** A projection width that must fit a tensor dimension (an int). */
    private static void requireDimension(String where, String what, long value) {
        if (value > Integer.MAX_VALUE) {
            throw new ConfigException(where + ": " + what + " = " + value + " is larger than a tensor dimension can be "
                    + "(2^31 - 1)");
        }
    }

    private static void requirePositive(String where, String field, int value) {
        if (value <= 0) {
            throw new ConfigException(where + ": " + field + " must be positive, got " + value);
        }
    }

    // ---------------------------------------------------------------- writing

    /**
     * The config as HF writes it (keys sorted, two-space indent). {@code head_dim} is always written explicitly,
     * since pruned models break head_dim = hidden_size / num_attention_heads.
     */
    public String toJson() {
        JsonNodeFactory n = JsonNodeFactory.instance;
        ObjectNode o = n.objectNode();
        o.putArray("architectures").add(MISTRAL.equals(modelType) ? "MistralForCausalLM" : "LlamaForCausalLM");
        if (LLAMA.equals(modelType)) o.put("attention_bias", false);
        o.put("attention_dropout", 0.0);
        if (bosTokenId != null) o.put("bos_token_id", bosTokenId);
        if (eosTokenIds.size() == 1) {
            o.put("eos_token_id", eosTokenIds.getFirst());
        } else if (!eosTokenIds.isEmpty()) {
            ArrayNode eos = o.putArray("eos_token_id");
            eosTokenIds.forEach(eos::add);
        }
        o.put("head_dim", headDim);
        o.put("hidden_act", "silu");
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("max_position_embeddings", maxPositionEmbeddings);
        if (LLAMA.equals(modelType)) o.put("mlp_bias", false);
        o.put("model_type", modelType);
        o.put("num_attention_heads", numAttentionHeads);
        o.put("num_hidden_layers", numHiddenLayers);
        o.put("num_key_value_heads", numKeyValueHeads);
        o.put("rms_norm_eps", rmsNormEps);
        if (ropeScaling == null) {
            o.putNull("rope_scaling");
        } else {
            ObjectNode r = o.putObject("rope_scaling");
            r.put("factor", ropeScaling.factor());
            if (ropeScaling.isLlama3()) {
                r.put("high_freq_factor", ropeScaling.highFreqFactor());
                r.put("low_freq_factor", ropeScaling.lowFreqFactor());
                r.put("original_max_position_embeddings", ropeScaling.originalMaxPositionEmbeddings());
            }
            r.put("rope_type", ropeScaling.ropeType());
        }
        o.put("rope_theta", ropeTheta);
        if (slidingWindow != null) {
            o.put("sliding_window", slidingWindow);
        } else if (MISTRAL.equals(modelType)) {
            o.putNull("sliding_window");   // absent would mean HF's default of 4096
        }
        o.put("tie_word_embeddings", tieWordEmbeddings);
        if (torchDtype != null) o.put("torch_dtype", torchDtype);
        o.put("use_cache", true);
        o.put("vocab_size", vocabSize);
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
                .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
        try {
            return JSON.writer(printer).writeValueAsString(o) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("serializing a config tree cannot fail", e);
        }
    }

    /** Writes {@code config.json} into {@code directory} atomically (temp file, fsync, rename). */
    public void write(Path directory) throws IOException {
        AtomicFile.write(directory.resolve("config.json"), toJson().getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- copies with changes (pruning)

    /** This config with new widths (pruning keeps head_dim, rope, vocabulary). */
    public LlamaConfig withShape(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                                 int numKeyValueHeads) {
        return new LlamaConfig(modelType, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, rmsNormEps, ropeTheta, ropeScaling, maxPositionEmbeddings, vocabSize,
                tieWordEmbeddings, bosTokenId, eosTokenIds, slidingWindow, torchDtype);
    }

    /** This config with another torch_dtype (the dtype the weights are stored in). */
    public LlamaConfig withTorchDtype(String torchDtype) {
        return new LlamaConfig(modelType, hiddenSize, intermediateSize, numHiddenLayers, numAttentionHeads,
                numKeyValueHeads, headDim, rmsNormEps, ropeTheta, ropeScaling, maxPositionEmbeddings, vocabSize,
                tieWordEmbeddings, bosTokenId, eosTokenIds, slidingWindow, torchDtype);
    }

    /**
     * The floating torch dtypes a config may name, as transformers resolves them ({@code getattr(torch, name)}, which
     * fails for any other name): each with the storage dtype it means, or null for float64 (not a storage dtype).
     */
    private static final Map<String, DType> TORCH_DTYPES = new LinkedHashMap<>();
    static {
        TORCH_DTYPES.put("float32", DType.F32);
        TORCH_DTYPES.put("float", DType.F32);
        TORCH_DTYPES.put("bfloat16", DType.BF16);
        TORCH_DTYPES.put("float16", DType.F16);
        TORCH_DTYPES.put("half", DType.F16);
        TORCH_DTYPES.put("float64", null);
        TORCH_DTYPES.put("double", null);
    }

    private static String torchDtype(String name, String source) {
        if (name != null && !TORCH_DTYPES.containsKey(name)) {
            throw new ConfigException(source + ": torch_dtype: expected a floating torch dtype ("
                    + String.join(", ", TORCH_DTYPES.keySet()) + "), found \"" + name + "\"");
        }
        return name;
    }

    /**
     * The storage dtype torch_dtype names (F32, BF16 or F16); F32 when the config has none (transformers' default
     * float32); null for float64, which no weight file of ours holds.
     */
    public DType storedDtype() {
        return torchDtype == null ? DType.F32 : TORCH_DTYPES.get(torchDtype);
    }

    /** The torch_dtype name of a storage dtype: "float32", "bfloat16" or "float16". */
    public static String torchDtypeName(DType dtype) {
        return switch (dtype) {
            case F32 -> "float32";
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> throw new IllegalArgumentException("torch_dtype: weights are stored as F32, BF16 or F16, not " + dtype);
        };
    }

    // ---------------------------------------------------------------- presets

    /**
     * Named shapes of real models, with the values of their published HF config.json files:
     * {@code llama-3.1-8b}, {@code llama-3.2-1b}, {@code mistral-nemo-12b} and the Minitron students
     * {@code minitron-4b-width}, {@code minitron-4b-depth}, {@code mistral-nemo-minitron-8b}.
     */
    public static LlamaConfig preset(String name) {
        LlamaConfig config = PRESETS.get(name);
        if (config == null) {
            throw new ConfigException("preset: unknown name \"" + name + "\" (known: " + String.join(", ", PRESETS.keySet()) + ")");
        }
        return config;
    }

    public static List<String> presetNames() {
        return new ArrayList<>(PRESETS.keySet());
    }

    private static final Map<String, LlamaConfig> PRESETS = buildPresets();

    private static Map<String, LlamaConfig> buildPresets() {
        RopeScaling llama31Rope = RopeScaling.llama3(8.0, 1.0, 4.0, 8192);
        RopeScaling llama32Rope = RopeScaling.llama3(32.0, 1.0, 4.0, 8192);
        List<Integer> llamaEos = List.of(128001);
        List<Integer> mistralEos = List.of(2);
        Map<String, LlamaConfig> p = new LinkedHashMap<>();
        // Arguments in record order: model_type, hidden, intermediate, layers, heads, kv heads, head_dim, rms eps,
        // rope_theta, rope_scaling, max_position_embeddings, vocab, tied, bos, eos, sliding_window, torch_dtype.
        p.put("llama-3.1-8b", new LlamaConfig(LLAMA, 4096, 14336, 32, 32, 8, 128, 1e-5, 500000.0, llama31Rope,
                131072, 128256, false, 128000, llamaEos, null, "bfloat16"));
        p.put("llama-3.2-1b", new LlamaConfig(LLAMA, 2048, 8192, 16, 32, 8, 64, 1e-5, 500000.0, llama32Rope,
                131072, 128256, true, 128000, llamaEos, null, "bfloat16"));
        p.put("mistral-nemo-12b", new LlamaConfig(MISTRAL, 5120, 14336, 40, 32, 8, 128, 1e-5, 1000000.0, null,
                1024000, 131072, false, 1, mistralEos, null, "bfloat16"));
        // Llama-3.1-Minitron-4B-Width: Llama 3.1 8B with hidden 4096 -> 3072 and MLP 14336 -> 9216.
        p.put("minitron-4b-width", new LlamaConfig(LLAMA, 3072, 9216, 32, 32, 8, 128, 1e-5, 500000.0, llama31Rope,
                131072, 128256, false, 128000, llamaEos, null, "bfloat16"));
        // Llama-3.1-Minitron-4B-Depth: Llama 3.1 8B with 32 -> 16 layers.
        p.put("minitron-4b-depth", new LlamaConfig(LLAMA, 4096, 14336, 16, 32, 8, 128, 1e-5, 500000.0, llama31Rope,
                131072, 128256, false, 128000, llamaEos, null, "bfloat16"));
        // Mistral-NeMo-Minitron-8B: NeMo 12B with hidden 5120 -> 4096 and MLP 14336 -> 11520.
        p.put("mistral-nemo-minitron-8b", new LlamaConfig(MISTRAL, 4096, 11520, 40, 32, 8, 128, 1e-5, 1000000.0, null,
                8192, 131072, false, 1, mistralEos, null, "bfloat16"));
        return p;
    }

    // ---------------------------------------------------------------- typed field access with clear errors

    /** Reads fields of one JSON object, naming the file and the field in every error. */
    static final class Fields {
        private final JsonNode node;
        private final String source;
        private final String prefix;

        Fields(JsonNode node, String source) {
            this(node, source, "");
        }

        Fields(JsonNode node, String source, String prefix) {
            this.node = node;
            this.source = source;
            this.prefix = prefix;
        }

        private ConfigException bad(String field, String expected, JsonNode found) {
            return new ConfigException(source + ": " + prefix + field + " must be " + expected + ", got " + found);
        }

        private ConfigException missing(String field, String expected) {
            return new ConfigException(source + ": missing field " + prefix + field + " (" + expected + ")");
        }

        int requiredInt(String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) throw missing(field, "an integer");
            return toInt(field, v);
        }

        int optionalInt(String field, int fallback) {
            JsonNode v = node.get(field);
            return v == null || v.isNull() ? fallback : toInt(field, v);
        }

        Integer nullableInt(String field) {
            JsonNode v = node.get(field);
            return v == null || v.isNull() ? null : toInt(field, v);
        }

        private int toInt(String field, JsonNode v) {
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw bad(field, "an integer", v);
            return v.intValue();
        }

        double requiredNumber(String field) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) throw missing(field, "a number");
            if (!v.isNumber()) throw bad(field, "a number", v);
            return v.doubleValue();
        }

        /** An optional number: absent gives the fallback (HF's default); an explicit null is refused, as HF fails on it. */
        double number(String field, double fallback) {
            JsonNode v = node.get(field);
            if (v == null) return fallback;
            if (v.isNull()) {
                throw new ConfigException(source + ": " + prefix + field + " must be a number, got null (leave the field "
                        + "out for the default " + fallback + ")");
            }
            if (!v.isNumber()) throw bad(field, "a number", v);
            return v.doubleValue();
        }

        boolean bool(String field, boolean fallback) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) return fallback;
            if (!v.isBoolean()) throw bad(field, "true or false", v);
            return v.booleanValue();
        }

        String string(String field, String fallback) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) return fallback;
            if (!v.isTextual()) throw bad(field, "a string", v);
            return v.textValue();
        }

        List<Integer> intOrIntList(String field) {
            JsonNode v = node.get(field);
            List<Integer> out = new ArrayList<>();
            if (v == null || v.isNull()) return out;
            if (v.isArray()) {
                for (JsonNode e : v) out.add(toInt(field, e));
            } else {
                out.add(toInt(field, v));
            }
            return out;
        }

        void refuseUnless(String field, String supported, String what) {
            JsonNode v = node.get(field);
            if (v != null && v.isNull()) {
                throw new ConfigException(source + ": " + prefix + field + " must be \"" + supported + "\", got null");
            }
            String value = string(field, supported);
            if (!supported.equals(value)) {
                throw new ConfigException(source + ": " + prefix + field + " \"" + value + "\" is not supported (supported: "
                        + what + "); it would change the math");
            }
        }

        void refuseTrue(String field, String why) {
            if (bool(field, false)) {
                throw new ConfigException(source + ": " + prefix + field + " true is not supported: " + why);
            }
        }
    }
}

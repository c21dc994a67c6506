package minitron.compress;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.SortedSet;
import java.util.StringJoiner;
import java.util.TreeSet;
import minitron.autograd.Var;
import minitron.tensor.Tensor;
import minitron.transformer.model.LlamaModel;

/**
 * Which model importance scores belong to: its config.json text and a SHA-256 over a sample of its weights (each
 * tensor's name, shape, first {@link #VALUES_PER_TENSOR} values and last value, as float bits). Cheap on an 8B
 * checkpoint, and any retraining or pruning changes it.
 */
public record ModelIdentity(String configJson, String weightsSha256) {
    /** Values hashed per tensor: enough that two trainings of one config differ, few enough to be instant. */
    static final int VALUES_PER_TENSOR = 1024;

    public static ModelIdentity of(LlamaModel model) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
            Tensor t = e.getValue().value();
            sha.update((e.getKey() + " " + t.shape()).getBytes(StandardCharsets.UTF_8));
            long n = t.numel();
            long count = Math.min(n, VALUES_PER_TENSOR);
            for (long i = 0; i < count; i++) putFloat(sha, t.readFloat(t.offsetOf(i)));
            putFloat(sha, t.readFloat(t.offsetOf(n - 1)));
        }
        return new ModelIdentity(model.config.toJson(), HexFormat.of().formatHex(sha.digest()));
    }

    /** "num_attention_heads: scores 6, model 4; ..." for the top-level fields of two config.json texts that differ. */
    static String configDifferences(String scoresConfig, String modelConfig) {
        JsonNode a, b;
        try {
            a = JSON.readTree(scoresConfig);
            b = JSON.readTree(modelConfig);
        } catch (JsonProcessingException e) {
            return "the scores' config is not valid JSON";
        }
        SortedSet<String> fields = new TreeSet<>();
        a.fieldNames().forEachRemaining(fields::add);
        b.fieldNames().forEachRemaining(fields::add);
        StringJoiner out = new StringJoiner("; ");
        for (String f : fields) {
            JsonNode x = a.get(f), y = b.get(f);
            if (x == null ? y != null : !x.equals(y)) {
                out.add(f + ": scores " + (x == null ? "absent" : x) + ", model " + (y == null ? "absent" : y));
            }
        }
        return out.length() == 0 ? "the same fields, other formatting" : out.toString();
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private static void putFloat(MessageDigest sha, float value) {
        int bits = Float.floatToIntBits(value);
        sha.update(new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits});
    }

    /** An error when {@code other} (the model being pruned) is not this one (where the scores came from). */
    public void requireSame(ModelIdentity other, String scoresWhere, String modelWhere) {
        if (!configJson.equals(other.configJson)) {
            throw new CompressException("importance " + scoresWhere + " was computed for another model (config.json "
                    + "differs from " + modelWhere + "'s: " + configDifferences(configJson, other.configJson) + ")");
        }
        if (!weightsSha256.equals(other.weightsSha256)) {
            throw new CompressException("importance " + scoresWhere + " was computed for another model: expected "
                    + "weights_sha256 " + other.weightsSha256 + " (" + modelWhere + "), found " + weightsSha256
                    + " (same config, other weights)");
        }
    }
}

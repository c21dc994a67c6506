package minitron.compress;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
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

    private static void putFloat(MessageDigest sha, float value) {
        int bits = Float.floatToIntBits(value);
        sha.update(new byte[] {(byte) (bits >>> 24), (byte) (bits >>> 16), (byte) (bits >>> 8), (byte) bits});
    }

    /** An error when {@code other} (the model being pruned) is not this one (where the scores came from). */
    public void requireSame(ModelIdentity other, String scoresWhere, String modelWhere) {
        if (!configJson.equals(other.configJson)) {
            throw new CompressException("importance " + scoresWhere + " was computed for another model: expected the "
                    + "config of " + modelWhere + ",\n" + other.configJson + "found\n" + configJson);
        }
        if (!weightsSha256.equals(other.weightsSha256)) {
            throw new CompressException("importance " + scoresWhere + " was computed for another model: expected "
                    + "weights_sha256 " + other.weightsSha256 + " (" + modelWhere + "), found " + weightsSha256
                    + " (same config, other weights)");
        }
    }
}

package minitron.transformer.io;

/**
 * A checkpoint file or directory this project cannot use: a malformed or truncated safetensors file, an
 * inconsistent shard index, an unsupported dtype, tensors that disagree with the config. The message names the file
 * and every problem found, e.g. {@code model.safetensors: tensor "a" data_offsets [0, 48) end outside the data area
 * of 24 bytes (file truncated?)}.
 */
public final class SafetensorsException extends IllegalArgumentException {
    public SafetensorsException(String message) {
        super(message);
    }

    public SafetensorsException(String message, Throwable cause) {
        super(message, cause);
    }
}

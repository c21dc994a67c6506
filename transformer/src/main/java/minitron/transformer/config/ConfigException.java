package minitron.transformer.config;

/**
 * A config.json this project cannot use: unreadable, malformed, a missing or ill-typed field, or a value that would
 * change the math and is not implemented. The message names the file, the field, the value found and what is
 * supported, e.g. {@code config.json: rope_scaling.rope_type "yarn" is not supported (supported: llama3, linear)}.
 */
public final class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}

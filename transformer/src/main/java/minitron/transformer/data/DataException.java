package minitron.transformer.data;

/** Bad input to the data pipeline: the message names the file (and line), what was expected and what was found. */
public class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}

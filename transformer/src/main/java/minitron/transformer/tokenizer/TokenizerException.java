package minitron.transformer.tokenizer;

/**
 * A tokenizer file that cannot be used (missing, not JSON, an unsupported model or pre-tokenizer type, a merge whose
 * parts are not in the vocabulary) or a bad argument (an id outside the vocabulary). The message names the file or
 * the operation, what was expected and what was found, e.g.
 * {@code tokenizer.json: model.type: expected "BPE", got "WordPiece" (only byte-level BPE tokenizers are supported)}.
 */
public final class TokenizerException extends IllegalArgumentException {
    public TokenizerException(String message) {
        super(message);
    }

    public TokenizerException(String message, Throwable cause) {
        super(message, cause);
    }
}

package minitron.eval;

import minitron.transformer.tokenizer.Tokenizer;

/** Text to token ids and back, as evaluation needs it (a tokenizer, or a toy one in tests). */
public interface TokenEncoder {

    /** The ids of text, with the BOS in front when addBos (and the tokenizer has one). */
    int[] encode(String text, boolean addBos);

    /** The text of ids; special tokens are kept (so that a stop sequence such as "</s>" can be seen). */
    String decode(int[] ids);

    /** A tokenizer.json tokenizer. */
    static TokenEncoder of(Tokenizer tokenizer) {
        return new TokenEncoder() {
            @Override
            public int[] encode(String text, boolean addBos) {
                return tokenizer.encode(text, addBos);
            }

            @Override
            public String decode(int[] ids) {
                return tokenizer.decode(ids, false);
            }
        };
    }
}

package minitron.transformer.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import minitron.transformer.tokenizer.Tokenizer;

/**
 * A dataset named on a command line: {@code brown:SPLIT} (a bundled Brown Corpus split: pretrain, pretrain-val,
 * distill, heldout), or a path read by {@link Readers} (a text file, a folder, JSONL with {@code jsonl}).
 */
public final class DataSources {
    public static final String BROWN_PREFIX = "brown:";

    private DataSources() {
    }

    /** Reads the documents of {@code spec}; an empty dataset is an error naming the source. */
    public static Readers.Result read(String spec, boolean jsonl) throws IOException {
        Readers.Result result;
        if (spec.startsWith(BROWN_PREFIX)) {
            List<Document> docs = BrownCorpus.documents(BrownCorpus.Split.parse(spec.substring(BROWN_PREFIX.length())));
            result = new Readers.Result(docs, 0, List.of());
        } else {
            result = Readers.read(Path.of(spec), jsonl);
        }
        if (result.documents().isEmpty()) {
            throw new DataException(spec + ": expected at least one document, got an empty dataset"
                    + (jsonl ? " (no .jsonl lines)" : ""));
        }
        boolean allEmpty = result.documents().stream().allMatch(d -> d.text().isEmpty());
        if (allEmpty) {
            throw new DataException(spec + ": expected some text, got " + result.documents().size()
                    + " empty document(s)");
        }
        return result;
    }

    /** A dataset read and tokenized: the documents (with their invalid UTF-8 report) and the token cache. */
    public record Tokenized(Readers.Result read, Tokenizer tokenizer, TokenCache.Opened opened) {
        public TokenCache cache() {
            return opened.cache();
        }
    }

    /**
     * Reads {@code spec}, loads the tokenizer at {@code tokenizerPath} and opens the token cache {@code cacheFile}
     * for them (reused when it matches, else built; one made with another tokenizer or other data is rejected
     * unless {@code rebuild}). The caller closes the cache.
     */
    public static Tokenized tokenize(String spec, boolean jsonl, Path tokenizerPath, Path cacheFile, boolean rebuild)
            throws IOException {
        Readers.Result read = read(spec, jsonl);
        Tokenizer tokenizer = Tokenizer.load(tokenizerPath);
        TokenCache.Opened opened = TokenCache.openOrBuild(cacheFile, read.documents(), tokenizer,
                TokenizerId.of(tokenizerPath, tokenizer.vocabSize()), rebuild);
        return new Tokenized(read, tokenizer, opened);
    }
}

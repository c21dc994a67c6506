package minitron.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import minitron.transformer.tokenizer.Tokenizer;
import minitron.transformer.tokenizer.TokenizerException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code minitron tokenize}: the ids of a text or a file under a tokenizer.json, as HF's tokenizers gives them. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, showDefaultValues = true,
        description = {"Prints the token ids of a text or of a file's bytes under a Hugging Face tokenizer.json "
                + "(byte-level BPE: Llama 3, Mistral NeMo, GPT-2 style).",
                "No BOS is added unless --bos. Errors: one line on stderr, exit code 1."})
public final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "FILE|DIR",
            description = "tokenizer.json, or a directory holding one (a tokenizer_config.json beside it gives the BOS)")
    Path tokenizer;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    static final class Input {
        @Option(names = "--text", paramLabel = "S", description = "the text to tokenize")
        String text;

        @Option(names = "--file", paramLabel = "F", description = "a file whose bytes, read as UTF-8, are tokenized exactly")
        Path file;
    }

    @Option(names = "--bos", description = "prepend the BOS token of tokenizer_config.json")
    boolean bos;

    @Option(names = "--json", description = "print {\"ids\": [...]} instead of space-separated ids")
    boolean json;

    @Option(names = "--verbose", description = "print one line per token: the id and its token string")
    boolean verbose;

    @Option(names = "--replace-invalid", description = "--file: replace invalid UTF-8 by U+FFFD (as Python's "
            + "errors=\"replace\" would) instead of stopping with the byte offset of the first invalid byte; not "
            + "with --text (a command-line text is already characters)")
    boolean replaceInvalid;

    @Override
    public Integer call() {
        try {
            if (json && verbose) throw new IllegalArgumentException("--json, --verbose: expected at most one output format, found both");
            if (input.text != null) Options.refuseUnused(spec, "--file", "--text", "--replace-invalid");
            Tokenizer tok = Tokenizer.load(tokenizer);
            String text = input.text != null ? input.text : readUtf8(input.file, replaceInvalid);
            int[] ids = tok.encode(text, bos);
            System.out.println(format(tok, ids));
            return 0;
        } catch (TokenizerException | IOException e) {
            System.err.println("minitron tokenize: " + e.getMessage());
            return 1;
        }
    }

    private String format(Tokenizer tok, int[] ids) {
        if (json) {
            StringJoiner joiner = new StringJoiner(", ", "{\"ids\": [", "]}");
            for (int id : ids) joiner.add(Integer.toString(id));
            return joiner.toString();
        }
        if (verbose) {
            StringJoiner lines = new StringJoiner("\n");
            for (int id : ids) lines.add(id + "\t" + tok.token(id));
            return lines.toString();
        }
        StringJoiner joiner = new StringJoiner(" ");
        for (int id : ids) joiner.add(Integer.toString(id));
        return joiner.toString();
    }

    /**
     * The file's bytes as text. Invalid UTF-8 is an error naming the byte offset (so that the ids always stand
     * for the exact bytes), or with {@code replace} becomes U+FFFD, one per invalid sequence.
     */
    static String readUtf8(Path file, boolean replace) throws IOException {
        byte[] bytes;
        if (Files.isDirectory(file)) throw new IOException(file + ": expected a file, found a directory");
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new IOException(file + ": file not found");
        }
        if (replace) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new IOException(file + ": expected UTF-8, got an invalid byte sequence at byte offset "
                    + in.position() + " (0x" + String.format("%02X", bytes[in.position()] & 0xFF)
                    + "); --replace-invalid replaces invalid bytes by U+FFFD");
        }
        out.flip();
        return out.toString();
    }
}

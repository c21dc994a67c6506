package minitron.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import minitron.transformer.data.BrownCorpus;
import minitron.transformer.tokenizer.BpeTrainer;
import minitron.transformer.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code minitron tokenizer train} and {@code minitron data cache}: outputs, exit codes, one-line errors. */
class DataCommandsTest {
    @TempDir
    Path dir;

    private String[] run(String... args) {
        return CliRun.run(args);
    }

    @Test
    void trainsATokenizerThenCachesAndReusesTokens() throws IOException {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        Files.writeString(data.resolve("a.txt"), "the cat sat on the mat. the cat sat.\n");
        Files.write(data.resolve("b.txt"), new byte[] {'t', 'h', 'e', ' ', (byte) 0xFF, 'c', 'a', 't'});
        Path tok = dir.resolve("tok");
        String[] train = run("tokenizer", "train", "--data", data.toString(), "--vocab-size", "270", "--out",
                tok.toString(), "--special", "<s>,</s>");
        assertEquals("0", train[0], train[2]);
        assertTrue(train[1].contains("vocabulary 270 (268 model tokens, 12 merges, 2 special)"), train[1]);
        assertTrue(train[2].contains("b.txt: 1 invalid UTF-8 sequence(s) replaced by U+FFFD"), train[2]);
        Tokenizer t = Tokenizer.load(tok);
        assertEquals(268, t.bosId().getAsInt());
        assertEquals(269, t.eosId().getAsInt());

        Path cache = dir.resolve("c.tok");
        String[] built = run("data", "cache", "--data", data.toString(), "--tokenizer", tok.toString(), "--out",
                cache.toString());
        assertEquals("0", built[0], built[2]);
        assertTrue(built[1].startsWith("token cache " + cache + ": built"), built[1]);
        assertTrue(built[1].contains("invalid UTF-8 sequences replaced: 1"), built[1]);
        String[] reused = run("data", "cache", "--data", data.toString(), "--tokenizer", tok.toString(), "--out",
                cache.toString());
        assertEquals("0", reused[0], reused[2]);
        assertTrue(reused[1].startsWith("token cache " + cache + ": reused"), reused[1]);
    }

    @Test
    void defaultSpecialTokensAreTheTrainersDefaults() throws IOException {
        Path text = dir.resolve("t.txt");
        Files.writeString(text, "hello hello world");
        Path tok = dir.resolve("tok");
        String[] r = run("tokenizer", "train", "--data", text.toString(), "--vocab-size", "270", "--out", tok.toString());
        assertEquals("0", r[0], r[2]);
        Tokenizer t = Tokenizer.load(tok);
        List<String> specials = new ArrayList<>();
        for (int id = 270 - BpeTrainer.DEFAULT_SPECIAL_TOKENS.size(); id < 270; id++) specials.add(t.token(id));
        assertEquals(BpeTrainer.DEFAULT_SPECIAL_TOKENS, specials);
    }

    @Test
    void badInputIsOneLineAndExitCodeOne() throws IOException {
        Path jsonl = dir.resolve("d.jsonl");
        Files.writeString(jsonl, "{\"text\": \"fine\"}\n{\"txt\": \"typo\"}\n");
        String[] noText = run("tokenizer", "train", "--data", jsonl.toString(), "--jsonl", "--vocab-size", "300",
                "--out", dir.resolve("t").toString());
        assertEquals("1", noText[0]);
        assertEquals("minitron tokenizer train: " + jsonl + ":2: expected a \"text\" field, found none (fields: txt)",
                noText[2]);

        Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        String[] none = run("tokenizer", "train", "--data", empty.toString(), "--vocab-size", "300", "--out",
                dir.resolve("t").toString());
        assertEquals("1", none[0]);
        assertEquals("minitron tokenizer train: " + empty + ": expected at least one document, got an empty dataset",
                none[2]);

        String[] split = run("tokenizer", "train", "--data", "brown:nope", "--vocab-size", "300", "--out",
                dir.resolve("t").toString());
        assertEquals("1", split[0]);
        assertTrue(split[2].contains("expected one of pretrain, pretrain-val, distill, heldout, got \"nope\""), split[2]);
    }

    /** --jsonl says how files are read; a bundled brown:SPLIT is read as it is, and took --jsonl without a word. */
    @Test
    void jsonlIsRefusedWithABundledSplit() {
        String[] r = run("tokenizer", "train", "--data", "brown:pretrain", "--jsonl", "--vocab-size", "300", "--out",
                dir.resolve("t").toString());
        assertEquals("1", r[0]);
        assertEquals("minitron tokenizer train: --jsonl: expected with a JSONL file or folder as --data, found --data "
                + "brown:pretrain (a bundled split, read as it is)", r[2]);
        r = run("data", "cache", "--data", "brown:heldout", "--jsonl", "--tokenizer", dir.resolve("tok").toString(),
                "--out", dir.resolve("c.tokens").toString());
        assertEquals("1", r[0]);
        assertEquals("minitron data cache: --jsonl: expected with a JSONL file or folder as --data, found --data "
                + "brown:heldout (a bundled split, read as it is)", r[2]);
        assertTrue(Files.notExists(dir.resolve("t")) && Files.notExists(dir.resolve("c.tokens")), "nothing written");
    }

    /** Found by CommandLineFuzzTest: an empty name is the working directory, which --out "" wrote into. */
    @Test
    void anEmptyFileOrFolderNameIsRefused() throws IOException {
        Path text = Files.writeString(dir.resolve("text.txt"), "the cat sat on the mat. the cat sat.\n");
        String[] r = run("tokenizer", "train", "--data", text.toString(), "--vocab-size", "270", "--out", "");
        assertEquals("1", r[0]);
        assertEquals("minitron tokenizer train: --out: expected DIR, found an empty value (which would be the working "
                + "directory) (see minitron tokenizer train --help)", r[2]);
        assertTrue(!Files.exists(Path.of("tokenizer.json")), "nothing written into the working directory");
        r = run("data", "cache", "--data", "", "--tokenizer", dir.toString(), "--out", dir.resolve("c.tok").toString());
        assertEquals("1", r[0]);
        assertEquals("minitron data cache: --data: expected FILE|DIR|brown:SPLIT, found an empty value (which would be "
                + "the working directory) (see minitron data cache --help)", r[2]);
    }

    @Test
    void aFileWhereADirectoryIsExpectedAndViceVersaIsOneLine() throws IOException {
        Path text = Files.writeString(dir.resolve("text.txt"), "the cat sat on the mat. the cat sat.\n");
        Path tok = dir.resolve("tok");
        assertEquals("0", run("tokenizer", "train", "--data", text.toString(), "--vocab-size", "270", "--out",
                tok.toString(), "--special", "<s>,</s>")[0]);
        Path folder = Files.createDirectories(dir.resolve("folder"));
        String[][] cases = { // {args..., the whole stderr}
                {"tokenize", "--tokenizer", tok.toString(), "--file", folder.toString(),
                        "minitron tokenize: " + folder + ": expected a file, found a directory"},
                {"tokenize", "--tokenizer", tok.toString(), "--text", "a", "--json", "--verbose",
                        "minitron tokenize: --json, --verbose: expected at most one output format, found both"},
                {"tokenizer", "train", "--data", text.toString(), "--vocab-size", "270", "--out", text.toString(),
                        "minitron tokenizer train: --out: expected a directory (new or existing), found a file: " + text},
                {"data", "cache", "--data", text.toString(), "--tokenizer", tok.toString(), "--out", folder.toString(),
                        "minitron data cache: --out: expected a file (new or existing), found a directory: " + folder},
                {"data", "cache", "--data", text.toString(), "--tokenizer", tok.toString(), "--out",
                        text.resolve("c.tok").toString(), "minitron data cache: --out: expected a directory (new or "
                        + "existing) to hold " + text.resolve("c.tok") + ", found a file: " + text},
                {"data", "brown", "--source", folder.toString(), "--out", text.toString(),
                        "minitron data brown: --out: expected a directory (new or existing), found a file: " + text},
                {"data", "brown", "--source", folder.toString(), "--out", text.resolve("sub").toString(),
                        "minitron data brown: --out: expected a directory (new or existing) to hold "
                        + text.resolve("sub") + ", found a file: " + text},
        };
        for (String[] c : cases) {
            String[] r = run(Arrays.copyOf(c, c.length - 1));
            assertEquals("1", r[0], String.join(" ", c));
            assertEquals(c[c.length - 1], r[2]);
        }
        assertEquals("the cat sat on the mat. the cat sat.\n", Files.readString(text), "--out did not touch the file");
    }

    /** A complete Form C folder (the 500 sample names, each one tagged sentence). */
    private Path brownSource() throws IOException {
        Path src = Files.createDirectories(dir.resolve("package"));
        for (String id : BrownCorpus.sampleIds()) Files.writeString(src.resolve(id), "\tA/at cat/nn ./.\n");
        return src;
    }

    @Test
    void dataBrownReplacesNoFileWithoutOverwrite() throws IOException {
        Path src = brownSource();
        Path out = Files.createDirectories(dir.resolve("out"));
        Path heldout = Files.writeString(out.resolve("brown-heldout.jsonl.gz"), "user data");
        String[] refused = run("data", "brown", "--source", src.toString(), "--out", out.toString());
        assertEquals("1", refused[0]);
        assertEquals("minitron data brown: --out: " + heldout + " exists (add --overwrite to replace it)", refused[2]);
        assertEquals("user data", Files.readString(heldout));
        assertEquals(List.of(heldout), listFiles(out), "nothing written");

        String[] replaced = run("data", "brown", "--source", src.toString(), "--out", out.toString(), "--overwrite");
        assertEquals("0", replaced[0], replaced[2]);
        assertTrue(replaced[1].contains("heldout            12"), replaced[1]);
        assertEquals(4, listFiles(out).size());
        assertTrue(!Files.readString(heldout, StandardCharsets.ISO_8859_1).equals("user data"));
    }

    @Test
    void dataBrownRefusesAnIncompleteSourceInOneLine() throws IOException {
        Path src = brownSource();
        Files.delete(src.resolve("cb05"));
        Files.writeString(src.resolve("cr09"), "");
        Path out = dir.resolve("out");
        String[] r = run("data", "brown", "--source", src.toString(), "--out", out.toString());
        assertEquals("1", r[0]);
        assertEquals("minitron data brown: --source: " + src + ": expected the 500 Brown samples ca01 .. cr09 (the "
                + "splits depend on every one), found 498 with text (missing: cb05; empty: cr09)", r[2]);
        assertTrue(Files.notExists(out), "nothing written");
    }

    private static List<Path> listFiles(Path folder) throws IOException {
        try (var files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }
}

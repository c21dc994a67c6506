package minitron.transformer.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Brown converter on hand-made tagged samples, and the bundled splits. */
class BrownCorpusTest {
    // Two sentences in Form C: tab-indented, blank lines between, word/tag tokens.
    static final String SAMPLE = """


            \tThe/at jury/nn said/vbd ``/`` it/pps did/dod n't/* ''/'' ,/, and/cc Mr./np Pye/np (/( the/at judge/nn )/) agreed/vbd ./.


            \t``/`` Stick/vb to/in the/at Gospel/np ''/'' !/. !/. He/pps left/vbd for/in Washington/np ,/, D.C./np ./.
            \tShe/pps said/vbd '/' no/uh '/' --/-- firmly/rb ;/. then/rb :/: 1/2/cd ?/.
            """;

    static BrownCorpus.Sample sample() {
        return BrownCorpus.parse("ck07", SAMPLE, "test");
    }

    @Test
    void parsesWordsAndTagsAfterTheLastSlash() {
        BrownCorpus.Sample s = sample();
        assertEquals('k', s.genre());
        assertEquals(3, s.sentences().size());
        assertEquals(new BrownCorpus.TaggedWord("The", "at"), s.sentences().get(0).get(0));
        List<BrownCorpus.TaggedWord> last = s.sentences().get(2);
        assertEquals(new BrownCorpus.TaggedWord("1/2", "cd"), last.get(last.size() - 2));
        assertEquals(18, s.sentences().get(0).size());
    }

    @Test
    void detokenizesPunctuationAndQuotes() {
        BrownCorpus.Sample s = sample();
        assertEquals("The jury said \"it did n't,\" and Mr. Pye (the judge) agreed.",
                BrownCorpus.detokenize(s.sentences().get(0)));
        assertEquals("\"Stick to the Gospel!!\" He left for Washington, D.C.",
                BrownCorpus.detokenize(s.sentences().get(1)));
        assertEquals("She said 'no' -- firmly; then: 1/2?", BrownCorpus.detokenize(s.sentences().get(2)));
        assertEquals(BrownCorpus.detokenize(s.sentences().get(0)) + "\n" + BrownCorpus.detokenize(s.sentences().get(1))
                + "\n" + BrownCorpus.detokenize(s.sentences().get(2)), s.text());
    }

    @Test
    void baseTagStripsSuffixesAndForeignPrefix() {
        assertEquals("nn", BrownCorpus.baseTag("nn-tl"));
        assertEquals("nn$", BrownCorpus.baseTag("nn$-tl-hl"));
        assertEquals("nn", BrownCorpus.baseTag("fw-nn"));
        assertEquals("ppss+md", BrownCorpus.baseTag("ppss+md"));
    }

    @Test
    void badTokensAndNamesAreErrorsNamingTheLine() {
        DataException bad = assertThrows(DataException.class, () -> BrownCorpus.parse("ca01", "\tThe/at jury\n", "f"));
        assertEquals("f:1: expected word/tag, got \"jury\"", bad.getMessage());
        DataException name = assertThrows(DataException.class, () -> BrownCorpus.parse("cz01", "", "f"));
        assertTrue(name.getMessage().contains("expected a Brown sample id like ca01"), name.getMessage());
    }

    @Test
    void splitRulesByIndexWithinTheGroup() {
        assertEquals(BrownCorpus.Split.PRETRAIN, BrownCorpus.splitOf('a', 0));
        assertEquals(BrownCorpus.Split.PRETRAIN_VAL, BrownCorpus.splitOf('c', 19));
        assertEquals(BrownCorpus.Split.PRETRAIN, BrownCorpus.splitOf('j', 20));
        assertEquals(BrownCorpus.Split.HELDOUT, BrownCorpus.splitOf('k', 9));
        assertEquals(BrownCorpus.Split.DISTILL, BrownCorpus.splitOf('r', 10));
    }

    /** A complete Form C folder: every one of the 500 samples is "A cat.", except ck07 which is {@link #SAMPLE}. */
    static Path completeSource(Path dir) throws IOException {
        Path src = Files.createDirectories(dir.resolve("package"));
        for (String id : BrownCorpus.sampleIds()) {
            Files.writeString(src.resolve(id), id.equals("ck07") ? SAMPLE : "\tA/at cat/nn ./.\n");
        }
        Files.writeString(src.resolve("README"), "not a sample");
        return src;
    }

    @Test
    void convertsAFolderIntoGzippedJsonlSplits(@TempDir Path dir) throws IOException {
        Path src = completeSource(dir);
        Map<BrownCorpus.Split, BrownCorpus.SplitStats> stats = BrownCorpus.convert(src, dir.resolve("out"));
        // 356 one-sentence samples of 3 Brown tokens ("A", "cat", ".") and 2 words ("A", "cat.")
        assertEquals(new BrownCorpus.SplitStats(356, 356, 3 * 356, 2 * 356), stats.get(BrownCorpus.Split.PRETRAIN));
        assertEquals(18, stats.get(BrownCorpus.Split.PRETRAIN_VAL).samples());
        assertEquals(114, stats.get(BrownCorpus.Split.DISTILL).samples());
        assertEquals(12, stats.get(BrownCorpus.Split.HELDOUT).samples());
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve("out/brown-pretrain.jsonl.gz")))) {
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(json.startsWith("{\"id\":\"ca01\",\"genre\":\"a\",\"text\":\"A cat.\",\"sentences\":[[[\"A\",\"at\"],"
                    + "[\"cat\",\"nn\"],[\".\",\".\"]]]}\n{\"id\":\"ca02\""), json.substring(0, 200));
        }
        List<BrownCorpus.Sample> back;
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve("out/brown-distill.jsonl.gz")))) {
            back = BrownCorpus.readJsonl(in, "test");
        }
        assertEquals(sample(), back.stream().filter(s -> s.id().equals("ck07")).findFirst().orElseThrow());
    }

    @Test
    void anIncompleteSourceIsRefusedNamingTheMissingAndEmptySamples(@TempDir Path dir) throws IOException {
        // split membership is by index within the genre group: without cb05 every later A-J sample would move
        Path src = completeSource(dir);
        Files.delete(src.resolve("cb05"));
        Files.delete(src.resolve("cr09"));
        Files.writeString(src.resolve("ca01"), "");
        Files.writeString(src.resolve("ck02"), "\n\t\n");
        DataException e = assertThrows(DataException.class, () -> BrownCorpus.convert(src, dir.resolve("out")));
        assertEquals("--source: " + src + ": expected the 500 Brown samples ca01 .. cr09 (the splits depend on every "
                + "one), found 496 with text (missing: cb05, cr09; empty: ca01, ck02)", e.getMessage());
        assertTrue(Files.notExists(dir.resolve("out")), "nothing written");

        Files.writeString(src.resolve("cb05"), "\tA/at cat/nn ./.\n");
        Files.writeString(src.resolve("cr09"), "\tA/at cat/nn ./.\n");
        Files.writeString(src.resolve("ca01"), "\tA/at cat/nn ./.\n");
        Files.writeString(src.resolve("ck02"), "\tA/at cat/nn ./.\n");
        Files.writeString(src.resolve("ci01"), "\tA/at cat/nn ./.\n");    // no genre I in Form C
        DataException extra = assertThrows(DataException.class, () -> BrownCorpus.convert(src, dir.resolve("out")));
        assertTrue(extra.getMessage().endsWith("found 500 with text (not Form C sample names: ci01)"), extra.getMessage());
    }

    @Test
    void bundledSplitsAreDisjointAndComplete() {
        Set<String> ids = new HashSet<>();
        int[] expectedSamples = {356, 18, 114, 12};
        int total = 0;
        for (BrownCorpus.Split split : BrownCorpus.Split.values()) {
            List<BrownCorpus.Sample> samples = BrownCorpus.load(split);
            assertEquals(expectedSamples[split.ordinal()], samples.size(), split.splitName());
            for (BrownCorpus.Sample s : samples) {
                assertTrue(ids.add(s.id()), "sample " + s.id() + " is in two splits");
                boolean informative = BrownCorpus.informative(s.genre());
                boolean pretrainSide = split == BrownCorpus.Split.PRETRAIN || split == BrownCorpus.Split.PRETRAIN_VAL;
                assertEquals(pretrainSide, informative, s.id() + " in " + split.splitName());
                total += s.wordCount();
            }
        }
        assertEquals(500, ids.size());
        assertEquals(new TreeSet<>(ids), new TreeSet<>(BrownCorpus.sampleIds()));
        // The Brown Corpus has about 1.16 million tokens (words and punctuation).
        assertEquals(1_161_192, total);
        // documents() reads the same texts without the tags.
        List<BrownCorpus.Sample> heldout = BrownCorpus.load(BrownCorpus.Split.HELDOUT);
        List<Document> docs = BrownCorpus.documents(BrownCorpus.Split.HELDOUT);
        assertEquals(heldout.size(), docs.size());
        for (int i = 0; i < docs.size(); i++) {
            assertEquals("brown:" + heldout.get(i).id(), docs.get(i).source());
            assertEquals(heldout.get(i).text(), docs.get(i).text());
        }
    }
}

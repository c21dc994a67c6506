package minitron.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import minitron.transformer.data.BrownCorpus;
import minitron.transformer.data.BrownCorpus.TaggedWord;
import org.junit.jupiter.api.Test;

/** The bundled brown-cloze task: rebuilt byte for byte, and each item as the rules say. */
class BrownClozeTest {

    @Test
    void theShippedFileIsWhatTheBuilderMakesFromTheHeldOutSplit() throws IOException {
        byte[] rebuilt = BrownCloze.toJsonl(BrownCloze.build(BrownCorpus.load(BrownCorpus.Split.HELDOUT), BrownCloze.SEED));
        byte[] shipped;
        try (InputStream in = BrownCloze.class.getResourceAsStream(BrownCloze.RESOURCE)) {
            shipped = in.readAllBytes();
        }
        assertArrayEquals(shipped, rebuilt, "brown-cloze.jsonl is stale; regenerate with: ./minitron eval "
                + "--build-brown-cloze eval/src/main/resources/minitron/eval/brown-cloze.jsonl --overwrite");
    }

    @Test
    void itemsFollowTheRules() {
        List<BrownCorpus.Sample> heldout = BrownCorpus.load(BrownCorpus.Split.HELDOUT);
        List<BrownCloze.Item> items = BrownCloze.build(heldout, BrownCloze.SEED);
        assertTrue(items.size() >= 1000, "expected at least 1000 items, found " + items.size());
        var pools = BrownCloze.pools(heldout);
        for (BrownCloze.Item item : items) {
            assertEquals(4, item.choices().size());
            Set<String> lower = new HashSet<>();
            for (String c : item.choices()) lower.add(c.toLowerCase(Locale.ROOT));
            assertEquals(4, lower.size(), "distinct choices: " + item);
            // the gold choice is the word that follows the context in the corpus sentence
            String[] id = item.id().split("-");
            BrownCorpus.Sample sample = heldout.stream().filter(s -> s.id().equals(id[0])).findFirst().orElseThrow();
            List<TaggedWord> sentence = sample.sentences().get(Integer.parseInt(id[1].substring(1)));
            int w = Integer.parseInt(id[2].substring(1));
            TaggedWord answer = sentence.get(w);
            assertEquals(answer.word(), item.choices().get(item.gold()), item.toString());
            assertEquals(BrownCorpus.detokenize(sentence.subList(0, w)), item.context());
            for (String c : item.choices()) {
                assertTrue(pools.get(BrownCloze.poolKey(answer)).contains(c), c + " not of tag " + item.tag());
            }
        }
    }

    @Test
    void aDifferentSeedGivesDifferentItemsAndTheSameSeedTheSame() {
        List<BrownCorpus.Sample> sample = List.of(tiny());
        List<BrownCloze.Item> a = BrownCloze.build(sample, 1);
        assertEquals(a, BrownCloze.build(sample, 1));
        assertNotEquals(a, BrownCloze.build(sample, 2));
    }

    /** A hand-made sample: 60 nouns so that "nn" has a pool, in sentences "the big X of the Y ran". */
    static BrownCorpus.Sample tiny() {
        List<List<TaggedWord>> sentences = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String noun = "n" + (char) ('a' + i % 26) + (char) ('a' + i / 26) + "x";   // naax, nbax, ...
            sentences.add(List.of(new TaggedWord("The", "at"), new TaggedWord("big", "jj"), new TaggedWord("dog", "nn"),
                    new TaggedWord("saw", "vbd"), new TaggedWord(noun, "nn"), new TaggedWord(".", ".")));
        }
        return new BrownCorpus.Sample("ck99", 'k', sentences);
    }
}

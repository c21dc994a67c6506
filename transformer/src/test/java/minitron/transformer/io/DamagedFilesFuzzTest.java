package minitron.transformer.io;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import minitron.tensor.FileDamage;
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
 * message of each kind of damage one by one; this test looks for the kinds nobody thought of. The damage is
 * {@link FileDamage}'s, shared with the other modules' fuzz tests of user files.
 */
class DamagedFilesFuzzTest {
    /** Damaged copies per file kind: a few seconds in all. A longer search: -Dfuzz.cases=20000 -Dfuzz.seed=7. */
    private static final int CASES = FileDamage.CASES;
    private static final long SEED = FileDamage.SEED;
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

    private static void assertMixed(int refused) {
        FileDamage.assertMixed(refused, CASES);
    }

    /** The values may be anything (a damaged byte is a valid float); reading them must not fail. */
    private static void readEveryElement(Tensor t) {
        for (long i = 0; i < t.numel(); i++) t.readDouble(i);
    }

    private static byte[] damageBytes(byte[] good, int headerEnd, Random random, StringBuilder how) {
        return FileDamage.bytes(good, headerEnd, random, how);
    }

    private static String damageText(String good, Random random, StringBuilder how) {
        return FileDamage.text(good, random, how);
    }
}

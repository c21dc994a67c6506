package minitron.compress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import minitron.tensor.FileDamage;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.model.LlamaModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Randomly damaged importance.json files, seeded ({@link FileDamage}), beside the importance.safetensors they were
 * saved with: {@link ImportanceScores#load} either gives scores that work (checked against the model they were
 * computed for, then planned into a pruned width) or refuses with a {@link CompressException} whose message names
 * the file; never another exception. A loaded file may still belong to another model (a damaged config or
 * weights_sha256): {@link ModelIdentity#requireSame} says so, naming the scores' folder.
 */
class DamagedImportanceFuzzTest {
    private static final int CASES = FileDamage.CASES;
    private static final long SEED = FileDamage.SEED;

    @TempDir
    static Path shared;
    static LlamaModel model;
    static Path saved;

    @TempDir
    Path dir;

    @BeforeAll
    static void scoresOfATinyModel() throws IOException {
        LlamaConfig config = TinyModels.config(true);
        model = TinyModels.random(config, 3);
        ImportanceScores scores = ImportanceEstimator.estimate(model,
                Calibration.ofRows(TinyModels.rows(4, 5, config.vocabSize(), 1), 2), Aggregation.parse("l2-l2"));
        saved = shared.resolve("importance");
        scores.save(saved);
    }

    @Test
    void damagedImportanceJsonIsLoadedOrRefusedByName() throws IOException {
        String good = Files.readString(saved.resolve(ImportanceScores.JSON));
        Files.copy(saved.resolve(ImportanceScores.TENSORS), dir.resolve(ImportanceScores.TENSORS));
        Path json = dir.resolve(ImportanceScores.JSON);
        Random random = new Random(SEED * 11 + 1);
        int refused = 0;
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            Files.write(json, FileDamage.jsonBytes(good, random, how));
            String what = "case " + c + " (" + how + ")";
            ImportanceScores scores;
            try {
                scores = ImportanceScores.load(dir);
            } catch (CompressException e) {
                refused++;
                assertTrue(e.getMessage().contains(json.toString()), what + ": " + e.getMessage());
                continue;
            } catch (RuntimeException | Error e) {
                fail(what + ": " + e, e);
                return;
            }
            try {
                assertEquals(model.config.numHiddenLayers(), scores.layers(), what);
                // samples, seq_len and seconds are information only (nothing reads them): load takes them as
                // asInt / asDouble give them, 0 for a damaged one
                scores.aggregation().label();
                try {
                    scores.model().requireSame(ModelIdentity.of(model), dir.toString(), "the model");
                } catch (CompressException e) {
                    assertTrue(e.getMessage().contains(dir.toString()), what + ": " + e.getMessage());
                    continue;
                }
                LlamaConfig c0 = model.config;
                WidthPruner.Plan plan = WidthPruner.plan(c0, scores, new WidthPruner.Target(c0.hiddenSize() / 2,
                        c0.intermediateSize() / 2, c0.numAttentionHeads() / 2));
                assertEquals(c0.hiddenSize() / 2, plan.config().hiddenSize(), what);
            } catch (RuntimeException | Error e) {
                fail(what + ": loaded, then: " + e, e);
            }
        }
        FileDamage.assertMixed(refused, CASES);
    }
}

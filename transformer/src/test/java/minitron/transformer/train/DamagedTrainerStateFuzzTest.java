package minitron.transformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import minitron.tensor.FileDamage;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.data.Document;
import minitron.transformer.data.TokenCache;
import minitron.transformer.data.TokenDataset;
import minitron.transformer.data.TokenizerId;
import minitron.transformer.tokenizer.BpeTrainer;
import minitron.transformer.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Randomly damaged trainer state files and "latest" pointers of a checkpoint, seeded ({@link FileDamage}): a
 * resume either restores a position that the run can go on from (a step in [0, steps], then one more training step)
 * or is refused with a {@link TrainingException} whose message names the file; never another exception (a
 * NullPointerException, a malformed-input IOException, an invalid path). {@link TrainerTest#refusesADamagedTrainerState}
 * checks the messages of a few kinds of damage.
 */
class DamagedTrainerStateFuzzTest {
    private static final int CASES = FileDamage.CASES;
    private static final long SEED = FileDamage.SEED;
    private static final int STEPS = 2;

    @TempDir
    static Path shared;
    static TokenDataset data;
    static TokenDataset validation;
    static LlamaConfig config;
    /** The checkpoint of step 1 of a two-step run. */
    static Path checkpoint;
    static Path state;
    static String goodState;

    @BeforeAll
    static void checkpointOfARun() throws IOException {
        minitron.tensor.Parallel.setThreads(1);
        BpeTrainer bpe = new BpeTrainer(258, List.of("<s>", "</s>"));
        bpe.add("x");
        BpeTrainer.write(bpe.train(), shared.resolve("tok"));
        Tokenizer tokenizer = Tokenizer.load(shared.resolve("tok"));
        List<Document> docs = new ArrayList<>();
        for (int d = 0; d < 6; d++) docs.add(new Document("doc" + d, ("the cat sat on a mat " + d + " ").repeat(8)));
        TokenCache cache = TokenCache.openOrBuild(shared.resolve("data.tok"), docs, tokenizer,
                TokenizerId.of(shared.resolve("tok"), tokenizer.vocabSize()), false).cache();
        TokenDataset[] split = cache.dataset().splitTail(0.2);
        data = split[0];
        validation = split[1];
        config = ModelFactory.withVocabulary(ModelFactory.SHAPES.get("tiny"), tokenizer.vocabSize(), 256, List.of(257));
        trainer(shared.resolve("run")).run(new Trainer.Listener() { });
        checkpoint = shared.resolve("run").resolve(Trainer.CHECKPOINT_DIR).resolve("step-00000001");
        state = checkpoint.resolve(CheckpointStore.trainerStateFile(0));
        goodState = Files.readString(state);
    }

    static TrainConfig trainConfig() {
        return TrainConfig.defaults(16, 2, STEPS).withSteps(STEPS, 1).withSchedule(1e-2, 1e-3).withCheckpoints(0, 1, 3);
    }

    static Trainer trainer(Path out) {
        return new Trainer(ModelFactory.initialize(config, 1234), trainConfig(), data, validation, out);
    }

    @Test
    void damagedTrainerStatesAreResumedOrRefusedByName() throws IOException {
        Random random = new Random(SEED * 7 + 1);
        int refused = 0;
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            Files.write(state, FileDamage.jsonBytes(goodState, random, how));
            String what = "case " + c + " (" + how + ")";
            Trainer t = trainer(shared.resolve("resumed"));
            try {
                t.resumeFrom(checkpoint);
            } catch (TrainingException e) {
                refused++;
                assertTrue(e.getMessage().contains(state.toString()), what + ": " + e.getMessage());
                continue;
            } catch (IOException | RuntimeException | Error e) {
                fail(what + ": " + e, e);
            }
            goOn(t, what);
        }
        Files.writeString(state, goodState);
        FileDamage.assertMixed(refused, CASES);
    }

    @Test
    void damagedLatestPointersAreFollowedOrRefusedByName() throws IOException {
        Path pointer = checkpoint.getParent().resolve(CheckpointStore.LATEST);
        String good = Files.readString(pointer);
        Random random = new Random(SEED * 7 + 2);
        int refused = 0;
        for (int c = 0; c < CASES; c++) {
            StringBuilder how = new StringBuilder();
            Files.write(pointer, FileDamage.jsonBytes(good, random, how));
            String what = "case " + c + " (" + how + ")";
            Trainer t = new Trainer(ModelFactory.initialize(config, 1234), trainConfig(), data, validation,
                    shared.resolve("run"));
            try {
                assertTrue(t.resumeIfPresent(), what);
            } catch (TrainingException e) {
                refused++;
                assertTrue(e.getMessage().contains(pointer.toString()), what + ": " + e.getMessage());
                continue;
            } catch (IOException | RuntimeException | Error e) {
                fail(what + ": " + e, e);
            }
            assertTrue(t.step() >= 1 && t.step() <= STEPS, what + ": step " + t.step());
        }
        Files.writeString(pointer, good);
        FileDamage.assertMixed(refused, CASES);
    }

    /** A resumed trainer is at a step of the run and trains on from there. */
    private static void goOn(Trainer t, String what) {
        assertTrue(t.step() >= 0 && t.step() <= STEPS, what + ": resumed at step " + t.step() + " of " + STEPS);
        try {
            if (t.step() < STEPS) {
                int before = t.step();
                t.trainStep();
                assertEquals(before + 1, t.step(), what);
            }
        } catch (IOException | RuntimeException | Error e) {
            fail(what + ": the resumed run failed: " + e, e);
        }
    }
}

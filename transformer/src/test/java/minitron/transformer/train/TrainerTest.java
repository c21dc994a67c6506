package minitron.transformer.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import minitron.autograd.Var;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.data.DataException;
import minitron.transformer.data.Document;
import minitron.transformer.data.TokenCache;
import minitron.transformer.data.TokenDataset;
import minitron.transformer.data.TokenizerId;
import minitron.transformer.model.LlamaModel;
import minitron.transformer.tokenizer.BpeTrainer;
import minitron.transformer.tokenizer.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer on a tiny model (d=32, 2 layers, byte vocabulary) and a few kB of text: seconds per test. */
class TrainerTest {
    /**
     * Gradients of one batch of 4 vs two micro-batches of 2 (each loss / 2, summed): the same math with another
     * F32 summation order (two half-batch means added vs one mean): a few ulps of gradients of size ~1e-2, so
     * 1e-6 + 1e-4 |ref| leaves room while a missing 1/accumulation (a factor 2) or a lost micro-batch fails it.
     */
    private static final double ACCUMULATION_ATOL = 1e-6;
    private static final double ACCUMULATION_RTOL = 1e-4;

    @TempDir
    static Path shared;
    static Tokenizer tokenizer;
    static TokenizerId tokenizerId;
    static TokenDataset data;
    static TokenDataset validation;

    @BeforeAll
    static void corpus() throws IOException {
        minitron.tensor.Parallel.setThreads(Integer.getInteger("train.test.threads", 1));
        BpeTrainer bpe = new BpeTrainer(258, List.of("<s>", "</s>"));
        bpe.add("x");
        BpeTrainer.write(bpe.train(), shared.resolve("tok"));
        tokenizer = Tokenizer.load(shared.resolve("tok"));
        tokenizerId = TokenizerId.of(shared.resolve("tok"), tokenizer.vocabSize());
        List<Document> docs = new ArrayList<>();
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far", "away", "home"};
        for (int d = 0; d < 12; d++) {
            StringBuilder text = new StringBuilder();
            for (int w = 0; w < 60; w++) text.append(words[(d * 7 + w * w + w) % words.length]).append(' ');
            docs.add(new Document("doc" + d, text.toString()));
        }
        TokenCache cache = TokenCache.openOrBuild(shared.resolve("data.tok"), docs, tokenizer, tokenizerId, false)
                .cache();
        TokenDataset[] split = cache.dataset().splitTail(0.1);
        data = split[0];
        validation = split[1];
    }

    static LlamaConfig tiny() {
        return ModelFactory.withVocabulary(ModelFactory.SHAPES.get("tiny"), tokenizer.vocabSize(), 256, List.of(257));
    }

    /** seq 16, batch 2, lr 1e-2 (a tiny model learns something in a few steps), warm-up 2. */
    static TrainConfig config(int steps) {
        return TrainConfig.defaults(16, 2, steps).withSteps(steps, Math.min(2, steps - 1)).withSchedule(1e-2, 1e-3);
    }

    static Trainer trainer(TrainConfig c, Path out) {
        return new Trainer(ModelFactory.initialize(tiny(), c.seed()), c, data, validation, out);
    }

    static Map<String, float[]> weights(LlamaModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
            out.put(e.getKey(), e.getValue().value().heapFloats().clone());
        }
        return out;
    }

    static void assertBitIdentical(Map<String, float[]> expected, Map<String, float[]> actual) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            float[] e = expected.get(name), a = actual.get(name);
            for (int i = 0; i < e.length; i++) {
                if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i])) {
                    throw new AssertionError(name + "[" + i + "]: expected " + e[i] + ", found " + a[i]
                            + " (not bit-identical)");
                }
            }
        }
    }

    /** Stops a run after a given step, as a kill would (work since the last checkpoint is lost). */
    static final class Interrupt extends RuntimeException {
    }

    @Test
    void resumedRunEndsBitIdenticalToUninterruptedRun(@TempDir Path dir) throws IOException {
        // accumulation 2 and a checkpoint every 2 steps; the interruption is at step 5, after the checkpoint of 4.
        TrainConfig c = config(7).withBatch(2, 2).withCheckpoints(3, 2, 5);
        Trainer straight = trainer(c, dir.resolve("straight"));
        straight.run(new Trainer.Listener() { });
        Map<String, float[]> expected = weights(straight.model());

        Trainer first = trainer(c, dir.resolve("resumed"));
        assertThrows(Interrupt.class, () -> first.run(new Trainer.Listener() {
            @Override
            public void onStep(Trainer.StepRecord r) {
                if (r.step() == 5) throw new Interrupt();
            }
        }));
        // A fresh process: another initialization (seed + 1), then the checkpoint's bits replace everything.
        Trainer second = new Trainer(ModelFactory.initialize(tiny(), 99), c, data, validation, dir.resolve("resumed"));
        assertTrue(second.resumeIfPresent());
        assertEquals(4, second.step());
        second.run(new Trainer.Listener() { });
        assertEquals(7, second.step());
        assertBitIdentical(expected, weights(second.model()));

        // The logs agree too: the resumed run's log was cut back to step 4 and continued (steps 1..7 once each).
        List<double[]> straightLoss = TrainLog.series(dir.resolve("straight/train_log.jsonl"), "loss");
        List<double[]> resumedLoss = TrainLog.series(dir.resolve("resumed/train_log.jsonl"), "loss");
        assertEquals(straightLoss.stream().map(p -> p[0]).toList(), resumedLoss.stream().map(p -> p[0]).toList());
        for (int i = 0; i < straightLoss.size(); i++) {
            assertEquals(straightLoss.get(i)[1], resumedLoss.get(i)[1], 0.0, "loss of step " + (i + 1));
        }
        assertTrue(Files.size(dir.resolve("resumed/loss_curve.png")) > 1000);
    }

    @Test
    void sameSeedSameThreadsSameBits(@TempDir Path dir) throws IOException {
        TrainConfig c = config(7).withBatch(2, 2).withCheckpoints(3, 2, 5);
        Trainer a = trainer(c, dir.resolve("a"));
        a.run(new Trainer.Listener() { });
        Trainer b = trainer(c, dir.resolve("b"));
        b.run(new Trainer.Listener() { });
        assertBitIdentical(weights(a.model()), weights(b.model()));
    }

    @Test
    void crashBetweenTemporaryWriteAndRenameLeavesThePreviousCheckpointLatest(@TempDir Path dir) throws IOException {
        TrainConfig c = config(6).withCheckpoints(0, 2, 3);
        Trainer t = trainer(c, dir);
        t.trainStep();
        t.trainStep();
        Path good = t.saveCheckpoint();
        Map<String, float[]> atTwo = weights(t.model());
        t.trainStep();
        CheckpointStore store = t.checkpoints();
        // The crash: every file of step 3 written into the temporary folder, the rename never happens.
        Path temp = store.writeTemporary(3, t.model(), new minitron.autograd.optim.AdamW(t.model().parameters(), 1e-3)
                .state(), 0, "{}");
        assertTrue(Files.isDirectory(temp));
        assertEquals(good, store.latest().orElseThrow());
        assertEquals(List.of(good), store.checkpoints());

        Trainer restarted = trainer(c, dir);
        assertTrue(restarted.resumeIfPresent());
        assertEquals(2, restarted.step());
        assertBitIdentical(atTwo, weights(restarted.model()));
        restarted.trainStep();
        restarted.saveCheckpoint();
        assertFalse(Files.exists(temp), "the next save removes the stray temporary folder");
        assertEquals(dir.resolve("checkpoints/step-00000003"), store.latest().orElseThrow());
    }

    @Test
    void keepsTheLastKCheckpoints(@TempDir Path dir) throws IOException {
        Trainer t = trainer(config(5).withCheckpoints(0, 1, 2), dir);
        t.run(new Trainer.Listener() { });
        Path root = dir.resolve("checkpoints");
        assertEquals(List.of(root.resolve("step-00000004"), root.resolve("step-00000005")), t.checkpoints().checkpoints());
        assertEquals("step-00000005", Files.readString(root.resolve("latest")).strip());
        // Each is a loadable HF model directory.
        try (LlamaModel m = LlamaModel.load(root.resolve("step-00000005/model"), LlamaModel.Mode.INFERENCE)) {
            assertEquals(tiny(), m.config);
        }
        // With the modes of plainly created folders and files, not the 0700 / 0600 of temporary ones.
        if (Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)) {
            Path plainFolder = Files.createDirectory(dir.resolve("plain"));
            Path plainFile = Files.createFile(dir.resolve("f"));
            assertEquals(Files.getPosixFilePermissions(plainFolder),
                    Files.getPosixFilePermissions(root.resolve("step-00000005")));
            assertEquals(Files.getPosixFilePermissions(plainFile),
                    Files.getPosixFilePermissions(root.resolve("step-00000005/model/config.json")));
        }
    }

    @Test
    void nanLossStopsWithTheStepAndKeepsTheLastGoodCheckpoint(@TempDir Path dir) throws IOException {
        Trainer t = trainer(config(6).withCheckpoints(0, 1, 5), dir);
        DivergedException e = assertThrows(DivergedException.class, () -> t.run(new Trainer.Listener() {
            @Override
            public void onCheckpoint(int step, Path directory) {
                if (step == 2) t.model().norm.value().heapFloats()[0] = Float.NaN; // poisons the next forward
            }
        }));
        assertEquals(3, e.getMessage().contains("step 3") ? e.step() : -1, e.getMessage());
        // the CLI puts "minitron train: " in front: the message does not name the command again
        assertTrue(e.getMessage().startsWith("step 3: loss is NaN"), e.getMessage());
        assertTrue(e.getMessage().contains("step-00000002"), e.getMessage());
        Path latest = t.checkpoints().latest().orElseThrow();
        assertEquals(dir.resolve("checkpoints/step-00000002"), latest);
        String logText = Files.readString(dir.resolve("train_log.jsonl"));
        assertTrue(logText.contains("{\"step\":3,\"error\":"), logText);
        Trainer resumed = trainer(config(6).withCheckpoints(0, 1, 5), dir);
        resumed.resumeIfPresent();
        for (float[] w : weights(resumed.model()).values()) {
            for (float x : w) assertTrue(Float.isFinite(x), "the kept checkpoint has only finite weights");
        }
    }

    @Test
    void accumulatingTwoMicroBatchesOfTwoEqualsOneBatchOfFour(@TempDir Path dir) {
        Trainer accumulated = trainer(config(4).withBatch(2, 2), dir.resolve("a"));
        Trainer whole = trainer(config(4).withBatch(4, 1), dir.resolve("b"));
        accumulated.forwardBackward(accumulated.loader().next());
        accumulated.forwardBackward(accumulated.loader().next());
        whole.forwardBackward(whole.loader().next());
        for (Map.Entry<String, Var> e : whole.model().parameters().entrySet()) {
            Tensor ref = e.getValue().grad();
            Tensor got = accumulated.model().parameters().get(e.getKey()).grad();
            for (long i = 0; i < ref.numel(); i++) {
                double r = ref.readDouble(ref.offsetOf(i)), g = got.readDouble(got.offsetOf(i));
                if (Math.abs(r - g) > ACCUMULATION_ATOL + ACCUMULATION_RTOL * Math.abs(r)) {
                    throw new AssertionError(e.getKey() + "[" + i + "]: batch 4 " + r + ", 2 x 2 " + g);
                }
            }
        }
    }

    @Test
    void appliesWarmupThenCosineToTheFloor(@TempDir Path dir) throws IOException {
        int steps = 8, warmup = 3;
        double max = 1e-2, min = 1e-3;
        Trainer t = trainer(config(steps).withSteps(steps, warmup).withSchedule(max, min), dir);
        t.run(new Trainer.Listener() { });
        List<double[]> lr = TrainLog.series(dir.resolve("train_log.jsonl"), "lr");
        assertEquals(steps, lr.size());
        for (int s = 0; s < steps; s++) {
            // Written out here independently of LrSchedule: warm-up (s+1)/warmup, then half a cosine to the floor.
            double expected = s < warmup ? max * (s + 1) / warmup
                    : min + 0.5 * (max - min) * (1 + Math.cos(Math.PI * (s - warmup) / (steps - warmup)));
            assertEquals(expected, lr.get(s)[1], 1e-15, "lr of step " + (s + 1));
        }
        List<double[]> loss = TrainLog.series(dir.resolve("train_log.jsonl"), "loss");
        assertTrue(loss.get(steps - 1)[1] < loss.get(0)[1], "the loss goes down: " + loss.get(0)[1] + " -> "
                + loss.get(steps - 1)[1]);
        assertEquals(1, TrainLog.series(dir.resolve("train_log.jsonl"), "val_loss").size());
    }

    @Test
    void refusesTextShorterThanOneSequence(@TempDir Path dir) throws IOException {
        TokenCache small = TokenCache.openOrBuild(dir.resolve("s.tok"), List.of(new Document("d", "hi")), tokenizer,
                tokenizerId, false).cache();
        DataException e = assertThrows(DataException.class, () -> new Trainer(ModelFactory.initialize(tiny(), 1),
                config(2), small.dataset(), null, dir));
        assertTrue(e.getMessage().contains("shorter than one sequence"), e.getMessage());
    }

    @Test
    void refusesAnEmptyDataset(@TempDir Path dir) {
        DataException e = assertThrows(DataException.class, () -> TokenCache.openOrBuild(dir.resolve("e.tok"),
                List.of(), tokenizer, tokenizerId, false));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void refusesToResumeFromAModelOfAnotherShape(@TempDir Path dir) throws IOException {
        Trainer t = trainer(config(2).withCheckpoints(0, 1, 2), dir);
        t.run(new Trainer.Listener() { });
        LlamaConfig wider = ModelFactory.withVocabulary(ModelFactory.SHAPES.get("tiny").withShape(48, 64, 2, 4, 2),
                tokenizer.vocabSize(), 256, List.of(257));
        Trainer other = new Trainer(ModelFactory.initialize(wider, 1), config(2), data, validation, dir);
        TrainingException e = assertThrows(TrainingException.class, other::resumeIfPresent);
        assertTrue(e.getMessage().contains("another shape") && e.getMessage().contains("hidden_size 32")
                && e.getMessage().contains("hidden_size 48"), e.getMessage());
        Trainer otherBatch = trainer(config(2).withBatch(3, 1), dir);
        TrainingException e2 = assertThrows(TrainingException.class, otherBatch::resumeIfPresent);
        assertTrue(e2.getMessage().contains("batch: checkpoint 2, this run 3"), e2.getMessage());
    }

    /** A damaged trainer state is one error naming the file and the fields, not an exception halfway through. */
    @Test
    void refusesADamagedTrainerState(@TempDir Path dir) throws IOException {
        Trainer t = trainer(config(2).withCheckpoints(0, 1, 2), dir);
        t.run(new Trainer.Listener() { });
        Path state = dir.resolve(Trainer.CHECKPOINT_DIR).resolve("step-00000002").resolve(CheckpointStore.trainerStateFile(0));
        String good = Files.readString(state);
        String[][] cases = {  // {file content, expected part of the message}
                {"{", "not valid JSON"},
                {good + "{}", "not valid JSON: extra data after the JSON value: \"{}\""},
                {"", "expected a JSON object, found an empty file"},
                {good.replaceFirst("\"data\" : \\{[^}]*}", "\"data\" : {}"), "data.seed: expected an integer, found nothing"},
                {good.replaceFirst("\"step\" : 2", "\"step\" : \"abc\""), "step: expected an integer, found \"abc\""},
                // DamagedTrainerStateFuzzTest: case 285, a step of 2147483648 resumed at step -2147483648 (asInt);
                // case 18, data.world_size 41 was the batch loader's DataException, which named no file
                {good.replaceFirst("\"step\" : 2", "\"step\" : 2147483648"),
                        "step: expected an integer of 32 bits, found 2147483648"},
                {good.replaceFirst("\"step\" : 2", "\"step\" : 7"), "expected a step in [0, 2], found 7"},
                {good.replaceFirst("(\"data\" : \\{[^}]*\"world_size\" : )1", "$141"),
                        "batch loader: cannot resume from State["},
        };
        for (String[] c : cases) {
            Files.writeString(state, c[0]);
            TrainingException e = assertThrows(TrainingException.class, () -> trainer(config(2), dir).resumeIfPresent());
            assertTrue(e.getMessage().startsWith("resume: " + state) && e.getMessage().contains(c[1]), e.getMessage());
        }
        // DamagedTrainerStateFuzzTest case 6: a byte that is not UTF-8 was Files.readString's MalformedInputException
        byte[] bytes = good.getBytes(StandardCharsets.UTF_8);
        bytes[10] = (byte) 0xFA;
        Files.write(state, bytes);
        TrainingException e = assertThrows(TrainingException.class, () -> trainer(config(2), dir).resumeIfPresent());
        assertEquals("resume: " + state + ": expected UTF-8, got 1 invalid sequence(s), the first at byte offset 10",
                e.getMessage());
    }

    /** The "latest" pointer of the checkpoints, damaged (DamagedTrainerStateFuzzTest, damaged latest pointers). */
    @Test
    void refusesADamagedLatestPointer(@TempDir Path dir) throws IOException {
        trainer(config(1).withCheckpoints(0, 1, 2), dir).run(new Trainer.Listener() { });
        Path pointer = dir.resolve(Trainer.CHECKPOINT_DIR).resolve(CheckpointStore.LATEST);
        byte[][] cases = {
                "st\u0000ep-00000001\n".getBytes(StandardCharsets.UTF_8),   // case 55: InvalidPathException
                {'s', 't', 'e', 'p', '-', '0', '0', '0', (byte) 0x84, '0', '1', '\n'},        // case 0: MalformedInputException
                "step-00000001/../../x\n".getBytes(StandardCharsets.UTF_8),
        };
        for (byte[] c : cases) {
            Files.write(pointer, c);
            TrainingException e = assertThrows(TrainingException.class, () -> trainer(config(1), dir).resumeIfPresent());
            assertTrue(e.getMessage().startsWith(pointer + ": expected the name of a checkpoint folder, found \""),
                    e.getMessage());
        }
    }

    /** Every row is scored, the last partial batch too, so the result does not depend on the batch size. */
    @Test
    void evaluationScoresEveryRowWhateverTheBatch() {
        LlamaModel m = ModelFactory.initialize(tiny(), 3);
        int seq = 16, rows = validation.rows(seq);
        Evaluation.Result one = Evaluation.modelLoss(m, validation, seq, 1);
        Evaluation.Result many = Evaluation.modelLoss(m, validation, seq, rows - 1);   // a full batch and one row
        assertEquals((long) rows * seq, one.tokens());
        assertEquals(one.tokens(), many.tokens());
        assertEquals(one.loss(), many.loss(), 1e-6, "mean over the same targets");
        Evaluation.Result u1 = Evaluation.unigramLoss(data, validation, seq, 1, tokenizer.vocabSize());
        Evaluation.Result u2 = Evaluation.unigramLoss(data, validation, seq, rows - 1, tokenizer.vocabSize());
        assertEquals(u1.loss(), u2.loss(), 1e-12);
        assertEquals(one.tokens(), u1.tokens());
    }

    @Test
    void initializationIsSeededAndHfShaped() {
        LlamaModel a = ModelFactory.initialize(tiny(), 5);
        LlamaModel b = ModelFactory.initialize(tiny(), 5);
        assertBitIdentical(weights(a), weights(b));
        float[] norm = a.norm.value().heapFloats();
        for (float x : norm) assertEquals(1.0f, x);
        float[] emb = a.embedTokens.value().heapFloats();
        double sq = 0;
        for (float x : emb) sq += x * x;
        double std = Math.sqrt(sq / emb.length);
        // Sample std of ~8k N(0, 0.02^2) draws: within 5% of 0.02 (the standard error is 0.02 / sqrt(2n) ~ 0.8%).
        assertEquals(ModelFactory.INITIALIZER_RANGE, std, 0.05 * ModelFactory.INITIALIZER_RANGE);
    }
}

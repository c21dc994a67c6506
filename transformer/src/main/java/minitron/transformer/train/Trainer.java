package minitron.transformer.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import minitron.autograd.Losses;
import minitron.autograd.NoGrad;
import minitron.autograd.Var;
import minitron.autograd.optim.AdamW;
import minitron.autograd.optim.GradClip;
import minitron.autograd.optim.LrSchedule;
import minitron.autograd.optim.OptimizerState;
import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.data.BatchLoader;
import minitron.transformer.data.DataException;
import minitron.transformer.data.Readers;
import minitron.transformer.data.TokenDataset;
import minitron.transformer.io.Checkpoint;
import minitron.transformer.io.SafetensorsFile;
import minitron.transformer.io.StrictJson;
import minitron.transformer.model.LlamaModel;

/**
 * Trains a {@link LlamaModel} on a token dataset: AdamW, cosine LR with linear warm-up and a floor, gradient
 * accumulation, clipping, validation, checkpoints with exact resume.
 *
 * <p>One optimizer step, split as data parallelism needs it (DESIGN.md section 6):
 * <pre>
 *   for each of `accumulation` micro-batches:  forwardBackward(batch)    loss / accumulation, backward (grads sum)
 *   reduceGradients()                                                   the {@link GradientReducer}: identity here
 *   optimizerStep()                                                     clip, lr = schedule(step), AdamW, zero grads
 * </pre>
 *
 * <p>Determinism: the initialization ({@link ModelFactory}) and the data order ({@link BatchLoader}) come from the
 * seed, and every kernel splits its work by the thread count only, so a run repeated with the same seed and thread
 * count gives the same bits. A checkpoint holds everything the next step reads (weights, AdamW moments and step
 * counts, data position, RNG state, step), so a resumed run ends with the same bits as an uninterrupted one.
 */
public final class Trainer {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String STATE_FORMAT = "minitron-trainer-state-1";
    public static final String LOG_FILE = "train_log.jsonl";
    public static final String CURVE_FILE = "loss_curve.png";
    public static final String CHECKPOINT_DIR = "checkpoints";

    /** Sums gradients over data-parallel ranks (an all-reduce then a division by the world size). */
    @FunctionalInterface
    public interface GradientReducer {
        void allReduce(Collection<Var> parameters);

        /** One process: the gradients are already the global batch's. */
        GradientReducer IDENTITY = parameters -> { };
    }

    /** What a finished optimizer step reports. */
    public record StepRecord(int step, int steps, double loss, double lr, double gradNorm, double tokensPerSecond,
                             long tokens, double elapsedSeconds) {
    }

    /** Progress callbacks (the command line's progress bar; tests that interrupt a run). */
    public interface Listener {
        default void onStep(StepRecord record) {
        }

        default void onValidation(int step, double loss) {
        }

        default void onCheckpoint(int step, Path directory) {
        }
    }

    private final LlamaModel model;
    private final TrainConfig config;
    private final TokenDataset train;
    private final TokenDataset validation;
    private final Path outDir;
    private final int rank;
    private final int worldSize;
    private final GradientReducer reducer;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private final BatchLoader loader;
    private final ModelFactory.SplitMix64Normal rng;
    private final CheckpointStore store;
    private final TrainLog log;
    private int step;                 // optimizer steps completed
    private int lastSavedStep = -1;
    private long tokens;              // training tokens consumed on this rank
    private double elapsedSeconds;    // training time (steps only), carried across resumes

    /**
     * A trainer for {@code model} (its parameters are updated in place). {@code validation} may be null (no
     * validation loss). {@code outDir} receives the log, the loss curve and the checkpoints.
     */
    public Trainer(LlamaModel model, TrainConfig config, TokenDataset train, TokenDataset validation, Path outDir,
                   int rank, int worldSize, GradientReducer reducer) {
        this.model = model;
        this.config = config;
        this.validation = validation;
        this.outDir = outDir;
        this.rank = rank;
        this.worldSize = worldSize;
        this.reducer = reducer;
        if (train.cache().vocabSize() > model.config.vocabSize()) {
            throw new TrainingException("train: the data's tokenizer has " + train.cache().vocabSize()
                    + " tokens, the model's vocab_size is " + model.config.vocabSize());
        }
        this.train = train;
        this.loader = new BatchLoader(train, config.batch(), config.seqLen(), config.seed(), rank, worldSize, true);
        if (validation != null) validation.rows(config.seqLen()); // a clear error now rather than at step N
        this.optimizer = new AdamW(model.parameters(), config.lr(), config.beta1(), config.beta2(), config.eps(),
                config.weightDecay());
        this.schedule = LrSchedule.cosineWithWarmup(config.lr(), config.minLr(), config.warmup(), config.steps());
        this.rng = new ModelFactory.SplitMix64Normal(config.seed());
        this.store = new CheckpointStore(outDir.resolve(CHECKPOINT_DIR));
        this.log = new TrainLog(outDir.resolve(LOG_FILE));
    }

    /** One process, identity gradient reduction. */
    public Trainer(LlamaModel model, TrainConfig config, TokenDataset train, TokenDataset validation, Path outDir) {
        this(model, config, train, validation, outDir, 0, 1, GradientReducer.IDENTITY);
    }

    public int step() {
        return step;
    }

    public LlamaModel model() {
        return model;
    }

    public CheckpointStore checkpoints() {
        return store;
    }

    public BatchLoader loader() {
        return loader;
    }

    // ------------------------------------------------------------------------------------------- one step

    /**
     * Forward and backward of one micro-batch: loss = cross-entropy / accumulation, so that the gradients summed
     * over the micro-batches are those of the mean loss over the global batch (every target counts: the rows
     * have no ignored positions, so each micro-batch's mean has the same weight). Returns the unscaled loss.
     */
    public double forwardBackward(BatchLoader.Batch batch) {
        Var loss = model.loss(batch.inputsTensor(), batch.targetsTensor());   // scalar, mean over B*T targets
        double value = loss.item();
        if (!Double.isFinite(value)) return value;                           // the caller stops before any update
        loss.scale(1.0 / config.accumulation()).backward();
        return value;
    }

    /** The data-parallel hook between the backward passes and the update. */
    public void reduceGradients() {
        reducer.allReduce(model.parameters().values());
    }

    /** Clips the gradients, sets this step's LR, updates, forgets the gradients. Returns the norm before clipping. */
    public double optimizerStep() {
        Collection<Var> params = model.parameters().values();
        double norm = config.clip() > 0 ? GradClip.clipGradNorm(params, config.clip())
                : GradClip.clipGradNorm(params, Double.POSITIVE_INFINITY);
        if (!Double.isFinite(norm)) {
            optimizer.zeroGrad();
            try {
                ObjectNode line = log.entry(step + 1);
                line.put("error", "gradient norm is " + norm);
                if (rank == 0) log.append(line);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            throw diverged(step + 1, "gradient norm is " + norm);
        }
        optimizer.setLr(schedule.lr(step));
        optimizer.step();
        optimizer.zeroGrad();
        step++;
        return norm;
    }

    /** One optimizer step over {@code accumulation} micro-batches; a NaN/inf loss stops with {@link DivergedException}. */
    public StepRecord trainStep() throws IOException {
        long t0 = System.nanoTime();
        double lossSum = 0;
        for (int micro = 0; micro < config.accumulation(); micro++) {
            double loss = forwardBackward(loader.next());
            if (!Double.isFinite(loss)) {
                optimizer.zeroGrad();
                ObjectNode line = log.entry(step + 1);
                line.put("error", "loss is " + loss);
                if (rank == 0) log.append(line);
                throw diverged(step + 1, "loss is " + loss + " (micro-batch " + (micro + 1) + " of "
                        + config.accumulation() + ")");
            }
            lossSum += loss;
        }
        reduceGradients();
        double lr = schedule.lr(step);
        double norm = optimizerStep();
        double seconds = (System.nanoTime() - t0) / 1e9;
        long stepTokens = config.tokensPerStep();
        tokens += stepTokens;
        elapsedSeconds += seconds;
        StepRecord record = new StepRecord(step, config.steps(), lossSum / config.accumulation(), lr, norm,
                stepTokens * worldSize / seconds, tokens * worldSize, elapsedSeconds);
        if (rank == 0) {
            ObjectNode line = log.entry(step);
            line.put("loss", record.loss());
            line.put("lr", lr);
            line.put("grad_norm", norm);
            line.put("tokens_per_s", record.tokensPerSecond());
            line.put("tokens", record.tokens());
            line.put("elapsed_s", elapsedSeconds);
            log.append(line);
        }
        return record;
    }

    private DivergedException diverged(int atStep, String what) {
        String kept;
        try {
            kept = store.latest().map(p -> "the latest checkpoint is still " + p
                    + " (resume from it with a lower learning rate or more warm-up)")
                    .orElse("no checkpoint was written yet (start again with a lower learning rate or more warm-up)");
        } catch (IOException | TrainingException e) {
            kept = "the checkpoints could not be listed: " + e.getMessage();
        }
        return new DivergedException(atStep, "step " + atStep + ": " + what + "; training stopped without "
                + "updating the weights; " + kept);
    }

    // ------------------------------------------------------------------------------------------- the run

    /** Runs to {@code config.steps()}: validation every evalEvery steps, checkpoints every saveEvery and at the end. */
    public void run(Listener listener) throws IOException {
        while (step < config.steps()) {
            StepRecord record = trainStep();
            listener.onStep(record);
            boolean last = step == config.steps();
            if (validation != null && (last || (config.evalEvery() > 0 && step % config.evalEvery() == 0))) {
                double val = validationLoss();
                if (rank == 0) {
                    ObjectNode line = log.entry(step);
                    line.put("val_loss", val);
                    log.append(line);
                    LossCurve.write(log.file(), outDir.resolve(CURVE_FILE), "training loss");
                }
                listener.onValidation(step, val);
            }
            if (last || (config.saveEvery() > 0 && step % config.saveEvery() == 0)) {
                listener.onCheckpoint(step, saveCheckpoint());
            }
        }
        if (rank == 0) LossCurve.write(log.file(), outDir.resolve(CURVE_FILE), "training loss");
    }

    /**
     * Mean cross-entropy over the first {@code evalBatches} batches of the validation data in order (the same
     * tokens at every evaluation), without a graph. Batches are of {@code min(batch, rows)} sequences.
     */
    public double validationLoss() {
        int rows = validation.rows(config.seqLen());
        BatchLoader val = new BatchLoader(validation, Math.min(config.batch(), rows), config.seqLen(), 0, 0, 1, false);
        int batches = Math.min(config.evalBatches(), val.stepsPerEpoch());
        double sum = 0;
        try (NoGrad scope = NoGrad.enter()) {
            for (int i = 0; i < batches; i++) {
                BatchLoader.Batch b = val.next();
                sum += Losses.crossEntropy(model.forward(b.inputsTensor()), b.targetsTensor()).item();
            }
        }
        return sum / batches;
    }

    // ------------------------------------------------------------------------------------------- checkpoints

    /** Writes a checkpoint of the current step (atomically; see {@link CheckpointStore}) and returns its folder. */
    public Path saveCheckpoint() throws IOException {
        if (step == lastSavedStep) return store.latest().orElseThrow();
        Path dir = store.save(step, model, optimizer.state(), rank, trainerStateJson(), config.keep());
        lastSavedStep = step;
        return dir;
    }

    private String trainerStateJson() throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", STATE_FORMAT);
        n.put("step", step);
        n.put("rank", rank);
        n.put("world_size", worldSize);
        n.put("rng_state", rng.state());
        n.put("tokens", tokens);
        n.put("elapsed_s", elapsedSeconds);
        BatchLoader.State s = loader.state();
        ObjectNode data = n.putObject("data");
        data.put("seed", s.seed());
        data.put("epoch", s.epoch());
        data.put("step", s.step());
        data.put("batch", s.batch());
        data.put("seq_len", s.seqLen());
        data.put("rank", s.rank());
        data.put("world_size", s.worldSize());
        // which tokens: a resume on other data would continue from this position in another text
        data.put("data_sha256", train.cache().dataSha256());
        data.put("start", train.start());
        data.put("end", train.end());
        n.set("config", JSON.valueToTree(config));
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
    }

    /** Resumes from the latest checkpoint of {@code outDir} when there is one; returns whether it did. */
    public boolean resumeIfPresent() throws IOException {
        Optional<Path> latest = store.latest();
        if (latest.isEmpty()) return false;
        resumeFrom(latest.get());
        return true;
    }

    /**
     * Restores weights, optimizer state, data position, RNG state and step from a checkpoint folder. A checkpoint
     * of another model shape, or of another batch / sequence length / seed / world size, is refused with the
     * differences named.
     */
    public void resumeFrom(Path dir) throws IOException {
        Path stateFile = dir.resolve(CheckpointStore.trainerStateFile(rank));
        if (!Files.exists(stateFile)) {
            throw new TrainingException("resume: " + dir + " has no " + stateFile.getFileName()
                    + " (not a training checkpoint, or written by another number of ranks)");
        }
        JsonNode state = readState(stateFile);
        checkSameRun(stateFile, state);
        int savedStep = state.get("step").asInt();
        if (savedStep < 0 || savedStep > config.steps()) {
            throw new TrainingException("resume: " + stateFile + ": expected a step in [0, " + config.steps()
                    + "], found " + savedStep);
        }
        checkSameData(stateFile, state.get("data"));
        try (Checkpoint ckpt = Checkpoint.openModel(dir.resolve(CheckpointStore.MODEL_DIR))) {
            checkSameShape(dir, ckpt.config());
            Ops ops = Ops.cpu();
            for (Map.Entry<String, Var> e : model.parameters().entrySet()) {
                ops.copyInto(ckpt.tensor(e.getKey()), e.getValue().value());
            }
        }
        try (SafetensorsFile opt = SafetensorsFile.open(dir.resolve(CheckpointStore.OPTIMIZER_FILE))) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (String name : opt.names()) tensors.put(name, opt.tensor(name));
            for (Map.Entry<String, String> e : opt.metadata().entrySet()) {
                if (!e.getKey().startsWith("step.")) continue;
                Tensor count = Tensor.zeros(DType.I32);             // 0-d, as AdamW.state() has it
                count.writeDouble(0, Long.parseLong(e.getValue()));
                tensors.put(e.getKey(), count);
            }
            optimizer.loadState(new OptimizerState(Integer.parseInt(opt.metadata().get("step")), tensors));
        }
        JsonNode data = state.get("data");
        try {
            loader.restore(new BatchLoader.State(data.get("seed").asLong(), data.get("epoch").asLong(),
                    data.get("step").asInt(), data.get("batch").asInt(), data.get("seq_len").asInt(),
                    data.get("rank").asInt(), data.get("world_size").asInt()));
        } catch (DataException e) { // a damaged data position: the message names the file it came from
            throw new TrainingException("resume: " + stateFile + ": " + e.getMessage(), e);
        }
        rng.restore(state.get("rng_state").asLong());
        step = savedStep;
        tokens = state.get("tokens").asLong();
        elapsedSeconds = state.get("elapsed_s").asDouble();
        lastSavedStep = step;
        if (rank == 0) log.truncateAfter(step);
    }

    /**
     * The trainer state file, with every field a resume reads present and of its type: a damaged file is one clear
     * error naming it, not a NullPointerException halfway through restoring.
     */
    private static JsonNode readState(Path stateFile) throws IOException {
        JsonNode state;
        String text;
        try {
            text = Readers.decodeStrict(Files.readAllBytes(stateFile), stateFile.toString());
        } catch (DataException e) { // a damaged byte: Files.readString's MalformedInputException named nothing
            throw new TrainingException("resume: " + e.getMessage(), e);
        }
        try {
            state = StrictJson.readOne(JSON, text);
        } catch (JsonProcessingException e) {
            throw new TrainingException("resume: " + stateFile + ": not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ")");
        }
        if (state == null || !state.isObject()) {
            throw new TrainingException("resume: " + stateFile + ": expected a JSON object, found "
                    + (state == null || state.isMissingNode() ? "an empty file" : state.getNodeType()));
        }
        if (!STATE_FORMAT.equals(state.path("format").asText())) {
            throw new TrainingException("resume: " + stateFile + ": expected format \"" + STATE_FORMAT + "\", found \""
                    + state.path("format").asText() + "\"");
        }
        List<String> problems = new ArrayList<>();
        List<String> ints = List.of("step", "data.step", "data.batch", "data.seq_len", "data.rank", "data.world_size");
        for (String field : List.of("step", "rng_state", "tokens", "data.seed", "data.epoch", "data.step", "data.batch",
                "data.seq_len", "data.rank", "data.world_size")) {
            JsonNode v = state.at("/" + field.replace('.', '/'));
            if (!v.isIntegralNumber()) {
                problems.add(field + ": expected an integer, found " + (v.isMissingNode() ? "nothing" : v));
            } else if (ints.contains(field) ? !v.canConvertToInt() : !v.canConvertToLong()) {
                // asInt / asLong would keep the low bits: a step of 2147483648 resumed at -2147483648
                problems.add(field + ": expected an integer of " + (ints.contains(field) ? "32" : "64") + " bits, found " + v);
            }
        }
        if (!state.path("elapsed_s").isNumber()) problems.add("elapsed_s: expected a number, found " + state.path("elapsed_s"));
        if (!state.path("config").isObject()) problems.add("config: expected an object, found " + state.path("config"));
        if (!problems.isEmpty()) {
            throw new TrainingException("resume: " + stateFile + ": damaged trainer state: " + String.join("; ", problems));
        }
        return state;
    }

    /** The data must be the tokens the checkpoint was trained on (checkpoints before this check lack the fields). */
    private void checkSameData(Path file, JsonNode data) {
        if (!data.has("data_sha256")) return;
        String sha = data.path("data_sha256").asText();
        long start = data.path("start").asLong(), end = data.path("end").asLong();
        if (!sha.equals(train.cache().dataSha256()) || start != train.start() || end != train.end()) {
            throw new TrainingException("resume: " + file + " was trained on other data (data sha256 "
                    + sha.substring(0, Math.min(12, sha.length())) + "..., tokens [" + start + ", " + end + ")); this "
                    + "run's --data is sha256 " + train.cache().dataSha256().substring(0, 12) + "..., tokens ["
                    + train.start() + ", " + train.end() + "): resume with the same --data (and --val-data)");
        }
    }

    /** The model shape of a checkpoint must be this model's: every tensor with the same shape. */
    private void checkSameShape(Path dir, LlamaConfig saved) {
        Map<String, Shape> want = model.config.expectedTensors();
        Map<String, Shape> found = saved.expectedTensors();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Shape> e : want.entrySet()) {
            Shape f = found.get(e.getKey());
            if (f == null) problems.add(e.getKey() + ": expected " + e.getValue() + ", missing in the checkpoint");
            else if (!f.equals(e.getValue())) problems.add(e.getKey() + ": expected " + e.getValue() + ", found " + f);
            if (problems.size() == 5) break;
        }
        if (want.size() != found.size() && problems.isEmpty()) {
            problems.add(want.size() + " tensors expected, the checkpoint has " + found.size());
        }
        if (!problems.isEmpty()) {
            throw new TrainingException("resume: " + dir + " holds a model of another shape (checkpoint: "
                    + shape(saved) + "; this run: " + shape(model.config) + "):\n  - " + String.join("\n  - ", problems));
        }
    }

    private static String shape(LlamaConfig c) {
        return "hidden_size " + c.hiddenSize() + ", intermediate_size " + c.intermediateSize() + ", layers "
                + c.numHiddenLayers() + ", heads " + c.numAttentionHeads() + "/" + c.numKeyValueHeads() + " of "
                + c.headDim() + ", vocab " + c.vocabSize();
    }

    /** Batch, sequence length, accumulation, seed, steps and world size must be those the checkpoint was made with. */
    private void checkSameRun(Path file, JsonNode state) {
        JsonNode saved = state.get("config");
        List<String> problems = new ArrayList<>();
        compare(problems, "seqLen", saved, config.seqLen());
        compare(problems, "batch", saved, config.batch());
        compare(problems, "accumulation", saved, config.accumulation());
        compare(problems, "seed", saved, config.seed());
        compare(problems, "steps", saved, config.steps());
        if (state.path("world_size").asInt() != worldSize) {
            problems.add("world_size: checkpoint " + state.path("world_size").asInt() + ", this run " + worldSize);
        }
        if (!problems.isEmpty()) {
            throw new TrainingException("resume: " + file + " was written by a run with other settings (an exact "
                    + "resume needs the same ones): " + String.join("; ", problems));
        }
    }

    private static void compare(List<String> problems, String field, JsonNode saved, long current) {
        long s = saved.path(field).asLong(Long.MIN_VALUE);
        if (s != current) problems.add(field + ": checkpoint " + saved.path(field).asText("?") + ", this run " + current);
    }
}

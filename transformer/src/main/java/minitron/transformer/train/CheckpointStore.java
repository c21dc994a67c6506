package minitron.transformer.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import minitron.autograd.optim.OptimizerState;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.transformer.io.AtomicFile;
import minitron.transformer.io.SafetensorsWriter;
import minitron.transformer.model.LlamaModel;

/**
 * The training checkpoints of one run, in a folder:
 * <pre>
 *   checkpoints/
 *     latest                              the name of the newest complete checkpoint, e.g. "step-00000200"
 *     step-00000100/                      one complete checkpoint
 *       model/config.json                 an HF model directory (F32 master weights): loadable by every tool
 *       model/model.safetensors
 *       optimizer.safetensors             AdamW state: exp_avg.NAME, exp_avg_sq.NAME; metadata: step, step.NAME
 *       trainer_state_rank0.json          step, data position, RNG state, training config of rank 0
 *     step-00000200/
 *     .tmp-step-00000300-...              a checkpoint being written (or left by a crash): never read
 * </pre>
 *
 * <p>Atomicity: a checkpoint is written into a temporary folder (every file fsynced), which is then renamed to
 * its final name (an atomic rename within one folder, then the folder fsynced), and only then is {@code latest}
 * replaced by {@link AtomicFile} (temporary file, fsync, rename). A kill at any moment leaves {@code latest}
 * naming a complete checkpoint: the old one until the new pointer's rename, the new one after it. Older
 * checkpoints beyond the newest {@code keep} are deleted after the pointer moved, never the one it names.
 *
 * <p>Ranks: the model and the optimizer state (identical on every rank in data parallelism) are written by rank
 * 0; every rank writes its own {@code trainer_state_rankR.json} (its data position). This class writes one
 * process's files; several processes would add a barrier before the rename.
 */
public final class CheckpointStore {
    public static final String LATEST = "latest";
    public static final String PREFIX = "step-";
    private static final String TEMP_PREFIX = ".tmp-";
    public static final String MODEL_DIR = "model";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";

    private final Path root;

    public CheckpointStore(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    /** The folder name of the checkpoint after {@code step} optimizer steps. */
    public static String name(int step) {
        return String.format("%s%08d", PREFIX, step);
    }

    public static String trainerStateFile(int rank) {
        return "trainer_state_rank" + rank + ".json";
    }

    /** Writes a complete checkpoint and makes it the latest; then keeps only the newest {@code keep}. */
    public Path save(int step, LlamaModel model, OptimizerState optimizer, int rank, String trainerStateJson,
                     int keep) throws IOException {
        Path temp = writeTemporary(step, model, optimizer, rank, trainerStateJson);
        Path published = publish(temp, step);
        prune(keep);
        return published;
    }

    /**
     * Step 1 of {@link #save}: every file of the checkpoint in a fresh temporary folder, each fsynced. A crash
     * after this and before {@link #publish} leaves only a stray temporary folder, which is never read.
     */
    Path writeTemporary(int step, LlamaModel model, OptimizerState optimizer, int rank, String trainerStateJson)
            throws IOException {
        Files.createDirectories(root);
        Path temp = newTemporaryFolder(step);
        model.save(temp.resolve(MODEL_DIR), DType.F32);                          // each file atomic and fsynced
        // Safetensors checkpoints hold float tensors only: the per-parameter step counts (0-d I32) go into the
        // metadata as "step.NAME": "count", beside the optimizer's own "step".
        Map<String, Tensor> floats = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt");
        metadata.put("step", Integer.toString(optimizer.step()));
        for (Map.Entry<String, Tensor> e : optimizer.tensors().entrySet()) {
            if (e.getValue().dtype() == DType.I32) {
                metadata.put(e.getKey(), Long.toString((long) e.getValue().item()));
            } else {
                floats.put(e.getKey(), e.getValue());
            }
        }
        SafetensorsWriter.write(temp.resolve(OPTIMIZER_FILE), floats, null, metadata);
        AtomicFile.write(temp.resolve(trainerStateFile(rank)), trainerStateJson.getBytes(StandardCharsets.UTF_8));
        syncDirectory(temp.resolve(MODEL_DIR));
        syncDirectory(temp);
        return temp;
    }

    /**
     * An empty folder with a name no other writer holds, created with the default mode (0777 less the umask) so
     * that the published checkpoint is as readable as the run's other outputs (Files.createTempDirectory would
     * give 0700).
     */
    private Path newTemporaryFolder(int step) throws IOException {
        while (true) {
            String suffix = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
            try {
                return Files.createDirectory(root.resolve(TEMP_PREFIX + name(step) + "-" + suffix));
            } catch (FileAlreadyExistsException e) {
                // another writer's folder: draw another name
            }
        }
    }

    /** Step 2 of {@link #save}: renames the temporary folder to its final name, then moves {@code latest} to it. */
    Path publish(Path temp, int step) throws IOException {
        Path target = root.resolve(name(step));
        if (Files.exists(target)) {
            // Left by a run that crashed after the rename and before the pointer moved: not the latest, so unused.
            if (latest().map(target::equals).orElse(false)) {
                throw new TrainingException("checkpoint " + target + " already exists and is the latest; "
                        + "refusing to overwrite it");
            }
            deleteRecursively(target);
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException(target + ": the file system cannot rename atomically within " + root, e);
        }
        syncDirectory(root);
        AtomicFile.write(root.resolve(LATEST), (name(step) + "\n").getBytes(StandardCharsets.UTF_8));
        return target;
    }

    /** The checkpoint {@code latest} names, or empty when there is none yet; an error when it names nothing. */
    public Optional<Path> latest() throws IOException {
        Path pointer = root.resolve(LATEST);
        if (!Files.exists(pointer)) return Optional.empty();
        // bytes that are not UTF-8 become U+FFFD (a damaged pointer names no folder: the error below)
        String name = new String(Files.readAllBytes(pointer), StandardCharsets.UTF_8).strip();
        // the name checked before it becomes a path (a NUL in it was an InvalidPathException)
        if (!name.matches(PREFIX + "[0-9]+") || !Files.isDirectory(root.resolve(name))) {
            throw new TrainingException(pointer + ": expected the name of a checkpoint folder, found \"" + name
                    + "\" (no such folder in " + root + ")");
        }
        return Optional.of(root.resolve(name));
    }

    /** The complete checkpoints (step-* folders), oldest first. */
    public List<Path> checkpoints() throws IOException {
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith(PREFIX) && Files.isDirectory(p))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
    }

    /** Deletes all but the newest {@code keep} checkpoints (never the latest one) and stray temporary folders. */
    void prune(int keep) throws IOException {
        Path latest = latest().orElse(null);
        List<Path> all = new ArrayList<>(checkpoints());
        for (int i = 0; i < all.size() - keep; i++) {
            if (!all.get(i).equals(latest)) deleteRecursively(all.get(i));
        }
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX)).toList()) {
                deleteRecursively(p);
            }
        }
    }

    static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot delete " + p, e);
                }
            }
        }
    }

    /** fsync of a folder, so that the names in it (renames, new files) survive a power cut where supported. */
    static void syncDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a folder for fsync; the renames are still atomic there.
        }
    }
}

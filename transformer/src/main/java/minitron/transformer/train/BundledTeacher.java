package minitron.transformer.train;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import minitron.transformer.io.AtomicFile;

/**
 * The teacher bundled in the jar ({@value #RESOURCE_DIR}; scripts/train-teacher.sh made it): a Llama-3-shaped model
 * of 2.36M parameters trained on Brown genres A-J, with its tokenizer. Model loading memory-maps files, so the
 * resources are first copied to a folder ({@link #extractTo}).
 */
public final class BundledTeacher {
    public static final String RESOURCE_DIR = "/minitron/teacher/";

    /** Every bundled file. */
    public static final List<String> FILES = List.of("config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", "train_log.jsonl", "loss_curve.png", "eval.txt");

    private BundledTeacher() {
    }

    /** Copies the bundled files into {@code directory} (each atomically) and returns it, an HF model folder. */
    public static Path extractTo(Path directory) throws IOException {
        Files.createDirectories(directory);
        for (String name : FILES) {
            try (InputStream in = BundledTeacher.class.getResourceAsStream(RESOURCE_DIR + name)) {
                if (in == null) {
                    throw new TrainingException("bundled teacher: resource " + RESOURCE_DIR + name
                            + " is missing from the class path (run scripts/train-teacher.sh and rebuild)");
                }
                AtomicFile.write(directory.resolve(name), in.readAllBytes());
            }
        }
        return directory;
    }
}

package minitron.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import minitron.tensor.Parallel;
import minitron.transformer.model.LlamaModel;

/** Checks of option values, reported as the one-line errors of {@link Main}. */
final class Options {
    private Options() {
    }

    /**
     * Loads a model directory for inference and prints each of its checkpoint's warnings (tensors the config does
     * not use, an index whose totals disagree) as "minitron COMMAND: warning: ..." on stderr.
     */
    static LlamaModel loadModel(String command, Path directory) {
        return LlamaModel.load(directory, LlamaModel.Mode.INFERENCE,
                warning -> System.err.println("minitron " + command + ": warning: " + warning));
    }

    /** Returns value, or throws "OPTION: expected >= MIN, found VALUE". */
    static int atLeast(String option, int value, int min) {
        if (value < min) throw new IllegalArgumentException(option + ": expected >= " + min + ", found " + value);
        return value;
    }

    /** A --threads value: at least 1 and at most {@link Parallel#MAX_THREADS}. */
    static int threads(int value) {
        return atMost("--threads", atLeast("--threads", value, 1), Parallel.MAX_THREADS,
                "one kernel thread per core is the useful range");
    }

    /** Returns value, or throws "OPTION: expected <= MAX (WHY), found VALUE". */
    static int atMost(String option, int value, int max, String why) {
        if (value > max) throw new IllegalArgumentException(option + ": expected <= " + max + " (" + why + "), found " + value);
        return value;
    }

    /** Returns value, or throws "OPTION: expected a finite value >= MIN, found VALUE" (NaN and infinities too). */
    static double atLeast(String option, double value, double min) {
        if (!(value >= min) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(option + ": expected a finite value >= " + min + ", found " + value);
        }
        return value;
    }

    /** Returns value, or throws "OPTION: expected a finite value > MIN, found VALUE" (NaN and infinities too). */
    static double above(String option, double value, double min) {
        if (!(value > min) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(option + ": expected a finite value > " + min + ", found " + value);
        }
        return value;
    }

    /** Returns value when it is one of the allowed names (any case), or throws "OPTION: expected A, B or C, found X". */
    static String oneOf(String option, String value, String... allowed) {
        for (String a : allowed) {
            if (a.equalsIgnoreCase(value)) return a;
        }
        String list = String.join(", ", Arrays.copyOf(allowed, allowed.length - 1)) + " or "
                + allowed[allowed.length - 1];
        throw new IllegalArgumentException(option + ": expected " + list + ", found \"" + value + "\"");
    }

    /** An existing regular file, or throws "OPTION: expected a file, found ..." (missing, or a directory). */
    static Path existingFile(String option, Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(option + ": expected a file, found a directory: " + file);
        }
        if (!Files.exists(file)) throw new IllegalArgumentException(option + ": expected a file, found nothing at " + file);
        return file;
    }

    /** An existing directory, or throws "OPTION: expected a directory, found ..." (nothing, or a file). */
    static Path existingDirectory(String option, Path dir) {
        if (Files.isDirectory(dir)) return dir;
        if (Files.exists(dir)) throw new IllegalArgumentException(option + ": expected a directory, found a file: " + dir);
        throw new IllegalArgumentException(option + ": expected a directory, found nothing at " + dir);
    }

    /**
     * A directory to write into: it may not exist yet (it is created), but neither it nor a folder above it may be a
     * file, which the writers would otherwise report with only its name.
     */
    static Path outputDirectory(String option, Path dir) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(option + ": expected a directory (new or existing), found a file: " + dir);
        }
        inADirectory(option, dir);
        return dir;
    }

    /** Every folder above {@code path} that exists is a directory (the ones that do not exist yet are created). */
    static void inADirectory(String option, Path path) {
        for (Path p = path.getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new IllegalArgumentException(option + ": expected a directory (new or existing) to hold " + path
                        + ", found a file: " + p);
            }
        }
    }

    /**
     * The policy for the files a command writes: one that exists (another run's, or the user's) is replaced only
     * with --overwrite: "OPTION: PATH exists (add --overwrite to replace it)".
     */
    static void refuseToReplace(String option, Path file, boolean overwrite) {
        if (!overwrite && Files.exists(file)) {
            throw new IllegalArgumentException(option + ": " + file + " exists (add --overwrite to replace it)");
        }
    }

    /** As {@link #refuseToReplace}, for a command that writes a whole folder: it must be new or empty. */
    static void refuseNonEmpty(String option, Path dir, boolean overwrite) throws IOException {
        if (overwrite || !Files.isDirectory(dir)) return;
        try (var entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) {
                throw new IllegalArgumentException(option + ": " + dir + " is not empty (add --overwrite to write into it, "
                        + "replacing the files of the same names)");
            }
        }
    }

    /** A file to write: it may not exist yet, but it may not be a directory. */
    static Path outputFile(String option, Path file) {
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException(option + ": expected a file (new or existing), found a directory: " + file);
        }
        return file;
    }
}

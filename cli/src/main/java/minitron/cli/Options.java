package minitron.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import minitron.tensor.Parallel;
import minitron.transformer.data.DataSources;
import minitron.transformer.model.LlamaModel;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

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

    /**
     * The options among {@code options} that the user wrote (on the command line, or for train in its --config file),
     * in the order of {@code options}. An option left at its default is not written, even when the default is what it would say.
     */
    static List<String> written(CommandSpec spec, String... options) {
        ParseResult parsed = spec.commandLine().getParseResult();
        return Arrays.stream(options).filter(parsed::hasMatchedOption).toList();
    }

    /**
     * Refuses the options among {@code options} that the user wrote when the mode chosen by other options does not
     * use them, instead of ignoring them: "--data and --samples: expected only with depth pruning (--depth K), found
     * with width pruning".
     */
    static void refuseUnused(CommandSpec spec, String usedWith, String found, String... options) {
        List<String> unused = written(spec, options);
        if (!unused.isEmpty()) {
            throw new IllegalArgumentException(and(unused) + ": expected only with " + usedWith + ", found with " + found);
        }
    }

    /**
     * As {@link #refuseUnused}, where the peer (HF transformers, lm-eval) accepts the options and warns: prints
     * "minitron COMMAND: warning: --top-p and --seed: used only with sampling, ignored with --temperature 0".
     */
    static void warnUnused(CommandSpec spec, String command, String usedWith, String found, String... options) {
        List<String> unused = written(spec, options);
        if (!unused.isEmpty()) {
            System.err.println("minitron " + command + ": warning: " + and(unused) + ": used only with " + usedWith
                    + ", ignored with " + found);
        }
    }

    /**
     * --jsonl says how the files of a data source are read; a bundled brown:SPLIT is read as it is. Refuses a
     * --jsonl whose source is a bundled split: "--jsonl: expected with a JSONL file or folder as --data, found
     * --data brown:pretrain (a bundled split, read as it is)".
     */
    static void refuseJsonlWithBundled(boolean jsonl, String option, String source) {
        if (jsonl && isBundled(source)) {
            throw new IllegalArgumentException("--jsonl: expected with a JSONL file or folder as " + option + ", found "
                    + option + " " + source + " (a bundled split, read as it is)");
        }
    }

    /** Whether a data source is a bundled Brown split (brown:SPLIT) rather than a file or folder. */
    static boolean isBundled(String source) {
        return source != null && source.startsWith(DataSources.BROWN_PREFIX);
    }

    /** "a", "a and b", "a, b and c". */
    static String and(List<String> items) {
        if (items.size() == 1) return items.getFirst();
        return String.join(", ", items.subList(0, items.size() - 1)) + " and " + items.getLast();
    }
}

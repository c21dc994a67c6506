package minitron.transformer.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A folder of temporary files, deleted with everything in it when closed, or when the JVM exits first: a signal
 * that runs the shutdown hooks (Ctrl-C, {@code kill}) runs no finally block of the thread that made it, and a
 * benchmark's random checkpoint there is gigabytes. Only a crash ({@code kill -9}) leaves it behind.
 */
public final class TemporaryFolder implements AutoCloseable {
    private final Path path;
    private final Thread hook;

    private TemporaryFolder(Path path) {
        this.path = path;
        this.hook = new Thread(this::deleteQuietly, "delete " + path);
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** A new folder in the system's temporary directory ({@code java.io.tmpdir}), named PREFIX + random digits. */
    public static TemporaryFolder create(String prefix) throws IOException {
        return new TemporaryFolder(Files.createTempDirectory(prefix));
    }

    /** A new folder in {@code parent}, named PREFIX + random digits. */
    public static TemporaryFolder create(Path parent, String prefix) throws IOException {
        return new TemporaryFolder(Files.createTempDirectory(parent, prefix));
    }

    public Path path() {
        return path;
    }

    /** Deletes the folder and everything in it. */
    @Override
    public void close() throws IOException {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already exiting: the hook deletes it
        }
        delete();
    }

    private void delete() throws IOException {
        if (!Files.exists(path)) return;
        List<Path> deepestFirst;
        try (Stream<Path> walk = Files.walk(path)) {
            deepestFirst = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : deepestFirst) Files.deleteIfExists(p);
    }

    private void deleteQuietly() {
        try {
            delete();
        } catch (IOException | UncheckedIOException e) {
            // exiting: nothing else to do with it
        }
    }
}

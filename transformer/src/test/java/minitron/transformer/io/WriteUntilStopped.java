package minitron.transformer.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process for {@link AtomicFileTest} and {@link TemporaryFolderTest}: {@code atomic FILE} writes FILE through
 * {@link AtomicFile}, {@code folder PARENT} writes a file into a {@link TemporaryFolder} in PARENT; each prints
 * "writing" once the bytes are there and then waits in the middle of its work until it is stopped.
 */
public final class WriteUntilStopped {
    public static void main(String[] args) throws IOException {
        Path path = Path.of(args[1]);
        if (args[0].equals("atomic")) {
            AtomicFile.write(path, channel -> {
                AtomicFile.writeFully(channel, ByteBuffer.wrap(new byte[1 << 20]));
                waitUntilStopped();
            });
        } else {
            try (TemporaryFolder folder = TemporaryFolder.create(path, "weights")) {
                Files.write(Files.createDirectories(folder.path().resolve("sub")).resolve("model.safetensors"),
                        new byte[1 << 20]);
                waitUntilStopped();
            }
        }
    }

    private static void waitUntilStopped() {
        System.out.println("writing");
        System.out.flush();
        try {
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Starts this class in another JVM, with the test's class path. */
    static Process start(String mode, Path path) throws IOException {
        String javaCommand = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(javaCommand, "-cp", System.getProperty("java.class.path"),
                WriteUntilStopped.class.getName(), mode, path.toString()).redirectErrorStream(true).start();
    }
}

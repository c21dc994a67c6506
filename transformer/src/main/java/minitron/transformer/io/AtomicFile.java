package minitron.transformer.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that a reader sees either the old content or the complete new one, never a partial file:
 * write to a temporary file in the same directory, fsync it, rename it over the target, fsync the directory.
 * An exception, or a JVM stopped by a signal that runs its shutdown hooks (Ctrl-C, {@code kill}), leaves no
 * temporary file behind; a crash ({@code kill -9}, power cut) at most a stray {@code .NAME.tmp-*} file, never a
 * truncated {@code NAME}. The file
 * gets the permissions a plainly created one would (or keeps those of the file it replaces), so a model directory
 * written here is as readable as one written by any other tool.
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /**
     * Temporary files being written. A signal that stops the JVM runs the shutdown hooks but no finally block of
     * the writing thread, and a model's weights can be gigabytes in a hidden file: the hook deletes them.
     */
    private static final Set<Path> PENDING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Path temp : PENDING) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    // exiting: nothing else to do with it
                }
            }
        }, "AtomicFile temporary files"));
    }

    /** Fills a file through a channel; the channel is positioned at 0 and empty. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Fills a file through a stream (buffered; closing it, e.g. by a GZIPOutputStream around it, only flushes). */
    @FunctionalInterface
    public interface StreamContent {
        void writeTo(OutputStream out) throws IOException;
    }

    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, channel -> writeFully(channel, ByteBuffer.wrap(bytes)));
    }

    /** As {@link #write(Path, Content)}, for writers that produce a stream (gzip, images). */
    public static void writeStream(Path target, StreamContent content) throws IOException {
        write(target, channel -> {
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16) {
                @Override
                public void close() throws IOException {
                    flush(); // the channel is AtomicFile's: it syncs and closes it
                }
            };
            content.writeTo(out);
            out.flush();
        });
    }

    public static void write(Path target, Content content) throws IOException {
        Path directory = target.toAbsolutePath().getParent();
        Files.createDirectories(directory);
        Path temp = null;
        boolean done = false;
        try {
            FileChannel created = null;
            while (created == null) {
                String suffix = Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36);
                temp = directory.resolve("." + target.getFileName() + ".tmp-" + suffix);
                try {
                    created = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                    PENDING.add(temp);
                } catch (FileAlreadyExistsException e) {
                    // another writer's temporary file: draw another name
                }
            }
            try (FileChannel channel = created) {
                content.writeTo(channel);
                channel.force(true);
            }
            keepPermissions(target, temp);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(target + ": the file system cannot rename atomically within " + directory, e);
            }
            done = true;
            syncDirectory(directory);
        } finally {
            try {
                if (!done && temp != null) Files.deleteIfExists(temp);
            } finally {
                if (temp != null) PENDING.remove(temp);
            }
        }
    }

    /**
     * A replaced file keeps its POSIX permissions; a new one has the mode any new file gets (0666 less the umask,
     * as the temporary file was created without a mode, unlike Files.createTempFile's 0600).
     */
    private static void keepPermissions(Path target, Path temp) throws IOException {
        boolean posix = Files.getFileStore(temp).supportsFileAttributeView(PosixFileAttributeView.class);
        if (!posix || !Files.exists(target)) return;
        Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(target));
    }

    public static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Makes the rename durable. Some platforms cannot open a directory for fsync; the rename is then still atomic. */
    private static void syncDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // Not durable across a power cut on this platform, but still atomic: nothing to report.
        }
    }
}

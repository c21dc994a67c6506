package minitron.transformer.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Atomic replacement: content, no leftovers on failure, and the permissions a user expects of an output file. */
class AtomicFileTest {
    @TempDir
    Path dir;

    @Test
    void writesAndReplacesTheContent() throws IOException {
        Path target = dir.resolve("sub/config.json");
        AtomicFile.write(target, "{\"a\": 1}".getBytes());
        AtomicFile.write(target, channel -> AtomicFile.writeFully(channel, ByteBuffer.wrap(new byte[]{1, 2, 3})));
        assertArrayEquals(new byte[]{1, 2, 3}, Files.readAllBytes(target));
        assertEquals(List.of(target), files(target.getParent()), "no temporary file left");
    }

    /**
     * A JVM stopped by a signal (SIGTERM here; Ctrl-C's SIGINT alike) in the middle of a write runs no finally block
     * of the writer: the temporary file, a hidden copy of up to gigabytes of weights, was left behind.
     */
    @Test
    void aProcessStoppedMidWriteLeavesNoTemporaryFile() throws Exception {
        Path target = dir.resolve("model.safetensors");
        Files.writeString(target, "old");
        Process child = WriteUntilStopped.start("atomic", target);
        try (var out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            assertEquals("writing", out.readLine());
            assertEquals(2, files(dir).size(), "the target and the temporary file");
            child.destroy();                                                    // SIGTERM
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child stopped");
        } finally {
            child.destroyForcibly();
        }
        assertEquals(List.of(target), files(dir), "no temporary file left");
        assertEquals("old", Files.readString(target));
    }

    @Test
    void aFailedWriteKeepsTheOldFileAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("model.safetensors");
        Files.writeString(target, "old");
        assertThrows(IOException.class, () -> AtomicFile.write(target, channel -> {
            AtomicFile.writeFully(channel, ByteBuffer.wrap("partial".getBytes()));
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of(target), files(dir));
    }

    /** A stream writer (gzip here, which closes its stream when done) gets the same guarantees. */
    @Test
    void aStreamWriterReplacesAtomicallyAndMayCloseTheStream() throws IOException {
        Path target = dir.resolve("split.jsonl.gz");
        Files.writeString(target, "old");
        assertThrows(IOException.class, () -> AtomicFile.writeStream(target, out -> {
            out.write("partial".getBytes());
            throw new IOException("killed");
        }));
        assertEquals("old", Files.readString(target), "a failed write leaves the old file");
        AtomicFile.writeStream(target, out -> {
            try (var gz = new GZIPOutputStream(out)) {
                gz.write("{\"text\": \"new\"}\n".getBytes());
            }
        });
        try (var in = new GZIPInputStream(Files.newInputStream(target))) {
            assertEquals("{\"text\": \"new\"}\n", new String(in.readAllBytes()));
        }
        assertEquals(List.of(target), files(dir), "no temporary file left");
    }

    /**
     * A new file gets the mode of any plainly created file (0666 less the umask), not the 0600 of a temporary
     * file: a model directory written by prune or train must be readable wherever one written by HF's tools is.
     */
    @Test
    void aNewFileHasTheDefaultPermissionsAndAReplacedOneKeepsItsOwn() throws IOException {
        assumeTrue(Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class),
                "POSIX file system");
        Path plain = Files.createFile(dir.resolve("plain"));
        Path written = dir.resolve("written");
        AtomicFile.write(written, new byte[]{7});
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(written));

        Files.setPosixFilePermissions(written, PosixFilePermissions.fromString("rw-r-----"));
        AtomicFile.write(written, new byte[]{8});
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(written)));
    }

    private static List<Path> files(Path directory) throws IOException {
        try (Stream<Path> list = Files.list(directory)) {
            return list.sorted().toList();
        }
    }
}

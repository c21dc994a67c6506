package minitron.transformer.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A temporary folder goes when closed, and when its process is stopped by a signal before that. */
class TemporaryFolderTest {
    @TempDir
    Path dir;

    @Test
    void closeDeletesTheFolderAndEverythingInIt() throws IOException {
        Path path;
        try (TemporaryFolder folder = TemporaryFolder.create(dir, "bench")) {
            path = folder.path();
            assertEquals(dir, path.getParent());
            assertTrue(path.getFileName().toString().startsWith("bench"));
            Files.writeString(Files.createDirectories(path.resolve("a/b")).resolve("c.txt"), "x");
            Files.writeString(path.resolve("d.txt"), "y");
        }
        assertFalse(Files.exists(path));
        assertEquals(List.of(), entries(dir));
    }

    /** bench decode's random checkpoint (gigabytes) was left in /tmp by Ctrl-C or kill. */
    @Test
    void aProcessStoppedBeforeCloseLeavesNothing() throws Exception {
        Process child = WriteUntilStopped.start("folder", dir);
        try (var out = new BufferedReader(new InputStreamReader(child.getInputStream()))) {
            assertEquals("writing", out.readLine());
            assertEquals(1, entries(dir).size(), "the temporary folder");
            child.destroy();                                                    // SIGTERM
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child stopped");
        } finally {
            child.destroyForcibly();
        }
        assertEquals(List.of(), entries(dir));
    }

    private static List<Path> entries(Path directory) throws IOException {
        try (Stream<Path> list = Files.list(directory)) {
            return list.sorted().toList();
        }
    }
}

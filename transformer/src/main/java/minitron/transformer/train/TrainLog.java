package minitron.transformer.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import minitron.transformer.io.AtomicFile;
import minitron.transformer.io.StrictJson;

/**
 * The training log, one JSON object per line (JSONL):
 * <pre>
 *   {"step":10,"loss":6.91,"lr":0.001,"grad_norm":1.23,"tokens_per_s":5120.0,"tokens":40960,"elapsed_s":8.0}
 *   {"step":10,"val_loss":6.95}
 *   {"step":11,"error":"loss is NaN"}
 * </pre>
 * Step numbers are 1-based optimizer steps (the step just completed). On resume, lines after the checkpoint's
 * step are dropped ({@link #truncateAfter}), so the log of a resumed run reads like the uninterrupted one.
 */
public final class TrainLog {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    public TrainLog(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    public ObjectNode entry(int step) {
        ObjectNode n = JSON.createObjectNode();
        n.put("step", step);
        return n;
    }

    /** Appends one line (the log is small: opened per line, so a kill loses at most the line being written). */
    public void append(ObjectNode line) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Keeps the lines whose step is at most {@code step} (and drops a torn last line). */
    public void truncateAfter(int step) throws IOException {
        if (!Files.exists(file)) return;
        StringBuilder kept = new StringBuilder();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            JsonNode n;
            try {
                n = StrictJson.readOne(JSON, line);
            } catch (IOException e) {
                continue; // a line cut by a kill (or two writes run together)
            }
            if (n != null && n.path("step").asInt(Integer.MAX_VALUE) <= step) kept.append(line).append('\n');
        }
        // atomically: a kill while rewriting must not leave an empty log beside the checkpoints
        AtomicFile.write(file, kept.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** (step, value) pairs of one field ("loss", "val_loss", ...), in file order. */
    public static List<double[]> series(Path file, String field) throws IOException {
        List<double[]> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            JsonNode n;
            try {
                n = StrictJson.readOne(JSON, line);
            } catch (IOException e) {
                continue;
            }
            if (n != null && n.has(field) && n.get(field).isNumber()) {
                out.add(new double[] {n.get("step").asDouble(), n.get(field).asDouble()});
            }
        }
        return out;
    }
}

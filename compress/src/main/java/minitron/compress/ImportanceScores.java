package minitron.compress;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import minitron.tensor.DType;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.io.AtomicFile;
import minitron.transformer.io.SafetensorsFile;
import minitron.transformer.io.SafetensorsWriter;
import minitron.transformer.io.StrictJson;

/**
 * Importance scores of one model along the three width axes (legend: L layers, H query heads, F MLP neurons, C
 * hidden channels), with where they came from. A directory holds them as:
 * <ul>
 *   <li>{@value #JSON}: model identity (config + weights hash), aggregation, samples, sequence length, tokens,
 *       time, the head scores inline and a summary of the long vectors;</li>
 *   <li>{@value #TENSORS}: {@code heads} (L, H), {@code neurons} (L, F), {@code embedding} (C), F32;</li>
 *   <li>{@code heads.png}, {@code neurons.png}, {@code embedding.png}: one plot per axis.</li>
 * </ul>
 */
public record ImportanceScores(ModelIdentity model, Aggregation aggregation, int samples, int seqLen, double seconds,
                               float[][] heads, float[][] neurons, float[] embedding) {
    public static final String JSON = "importance.json";
    public static final String TENSORS = "importance.safetensors";
    static final int FORMAT_VERSION = 1;

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public int layers() {
        return heads.length;
    }

    // ------------------------------------------------------------------------------------------- save

    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("heads", matrix(heads));
        tensors.put("neurons", matrix(neurons));
        tensors.put("embedding", Tensor.of(embedding.clone(), embedding.length));
        SafetensorsWriter.write(dir.resolve(TENSORS), tensors, DType.F32, Map.of("format", "minitron-importance"));

        ObjectNode root = MAPPER.createObjectNode();
        root.put("format_version", FORMAT_VERSION);
        ObjectNode m = root.putObject("model");
        m.set("config", MAPPER.readTree(model.configJson()));
        m.put("weights_sha256", model.weightsSha256());
        root.put("aggregation", aggregation.label());
        root.put("samples", samples);
        root.put("seq_len", seqLen);
        root.put("tokens", (long) samples * seqLen);
        root.put("seconds", seconds);
        root.put("tokens_per_second", seconds > 0 ? samples * (double) seqLen / seconds : 0);
        ArrayNode h = root.putArray("heads");
        for (float[] row : heads) {
            ArrayNode r = h.addArray();
            for (float v : row) r.add(v);
        }
        ObjectNode n = root.putObject("neurons_per_layer");
        for (int l = 0; l < neurons.length; l++) n.set(Integer.toString(l), summary(neurons[l]));
        root.set("embedding", summary(embedding));
        AtomicFile.write(dir.resolve(JSON), (MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n")
                .getBytes(StandardCharsets.UTF_8));

        LinePlot.write(dir.resolve("heads.png"), "Attention head importance (input of o_proj)", "head", "score",
                perLayer(heads, false));
        LinePlot.write(dir.resolve("neurons.png"), "MLP neuron importance, sorted (input of down_proj)",
                "rank", "score", perLayer(neurons, true));
        LinePlot.write(dir.resolve("embedding.png"), "Embedding channel importance (sum over all layernorms)",
                "channel", "score", List.of(new LinePlot.Series("all layers", indices(embedding.length),
                        toDoubles(embedding))));
    }

    private static Tensor matrix(float[][] rows) {
        int cols = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[rows.length * cols];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, flat, i * cols, cols);
        return Tensor.of(flat, rows.length, cols);
    }

    private static ObjectNode summary(float[] v) {
        ObjectNode o = MAPPER.createObjectNode();
        float[] sorted = v.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (float x : v) sum += x;
        o.put("count", v.length);
        o.put("min", sorted[0]);
        o.put("median", sorted[sorted.length / 2]);
        o.put("max", sorted[sorted.length - 1]);
        o.put("mean", sum / v.length);
        return o;
    }

    private static List<LinePlot.Series> perLayer(float[][] rows, boolean sortDescending) {
        List<LinePlot.Series> out = new ArrayList<>();
        for (int l = 0; l < rows.length; l++) {
            double[] y = toDoubles(rows[l]);
            if (sortDescending) {
                Arrays.sort(y);
                for (int i = 0; i < y.length / 2; i++) {
                    double t = y[i];
                    y[i] = y[y.length - 1 - i];
                    y[y.length - 1 - i] = t;
                }
            }
            out.add(new LinePlot.Series("layer " + l, indices(y.length), y));
        }
        return out;
    }

    static double[] indices(int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = i;
        return x;
    }

    static double[] toDoubles(float[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i];
        return out;
    }

    // ------------------------------------------------------------------------------------------- load

    /** Reads a directory written by {@link #save}; a missing or malformed file is an error naming it. */
    public static ImportanceScores load(Path dir) {
        Path json = dir.resolve(JSON);
        JsonNode root;
        try {
            root = StrictJson.readOne(MAPPER, Files.readString(json));
        } catch (NoSuchFileException e) {
            throw new CompressException("importance " + dir + ": expected " + JSON + " (written by minitron importance), "
                    + "found no such file");
        } catch (IOException e) {
            throw new CompressException("importance " + json + ": unreadable JSON: " + e.getMessage(), e);
        }
        int version = root.path("format_version").asInt(-1);
        if (version != FORMAT_VERSION) {
            throw new CompressException("importance " + json + ": expected format_version " + FORMAT_VERSION
                    + ", found " + root.path("format_version"));
        }
        String configJson;
        try {
            configJson = LlamaConfig.parse(root.path("model").path("config").toString(), json.toString()).toJson();
        } catch (RuntimeException e) {
            throw new CompressException("importance " + json + ": model.config: " + e.getMessage(), e);
        }
        ModelIdentity identity = new ModelIdentity(configJson, root.path("model").path("weights_sha256").asText());
        Aggregation aggregation;
        try {
            aggregation = Aggregation.parse(root.path("aggregation").asText());
        } catch (CompressException e) { // Aggregation's message names the field, not the file
            throw new CompressException("importance " + json + ": " + e.getMessage(), e);
        }
        try (SafetensorsFile file = SafetensorsFile.open(dir.resolve(TENSORS))) {
            float[][] heads = rows(file.tensor("heads"));
            float[][] neurons = rows(file.tensor("neurons"));
            float[] embedding = file.tensor("embedding").toFloatArray();
            return new ImportanceScores(identity, aggregation,
                    root.path("samples").asInt(), root.path("seq_len").asInt(), root.path("seconds").asDouble(),
                    heads, neurons, embedding);
        } catch (RuntimeException e) {
            if (e instanceof CompressException) throw e;
            throw new CompressException("importance " + dir.resolve(TENSORS) + ": " + e.getMessage(), e);
        }
    }

    private static float[][] rows(Tensor t) {
        float[][] out = new float[t.dim(0)][];
        for (int i = 0; i < out.length; i++) out[i] = t.select(0, i).toFloatArray();
        return out;
    }
}

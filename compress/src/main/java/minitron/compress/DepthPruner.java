package minitron.compress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import minitron.autograd.NoGrad;
import minitron.autograd.Var;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;
import minitron.transformer.io.AtomicFile;
import minitron.transformer.model.ForwardObserver;
import minitron.transformer.model.LlamaModel;

/**
 * Depth pruning (DESIGN.md section 4): remove a contiguous block of k layers, chosen by one of three metrics
 * computed for every block start (the paper's Figures 7 and 8):
 * <ul>
 *   <li>{@link Metric#LOSS}: LM validation loss of the model with the block removed (lower: less important);</li>
 *   <li>{@link Metric#TASK}: accuracy of an evaluation task with the block removed (higher: less important);</li>
 *   <li>{@link Metric#BI}: Block Importance (ShortGPT), 1 - mean over tokens of cos(x_in, x_out) where x_in
 *       enters the block's first layer and x_out leaves its last (lower: less important); one forward pass of the
 *       full model gives every block's BI.</li>
 * </ul>
 * Plus the non-contiguous variant: drop the k layers that are individually (block size 1) least important.
 * Removing layers renumbers the rest (model.layers.{i} stays dense).
 */
public final class DepthPruner {
    private DepthPruner() {
    }

    public enum Metric {
        LOSS(false), TASK(true), BI(false);

        /** Whether a higher value means the removed layers mattered less. */
        final boolean higherIsLessImportant;

        Metric(boolean higherIsLessImportant) {
            this.higherIsLessImportant = higherIsLessImportant;
        }

        public static Metric parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CompressException("--metric: expected loss, task or bi, found \"" + s + "\"");
            }
        }

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Every block start's metric for each block size, and for each size the non-contiguous choice. */
    public record Scan(Metric metric, int layers, SequencedMap<Integer, double[]> contiguous,
                       SequencedMap<Integer, int[]> nonContiguousLayers, SequencedMap<Integer, Double> nonContiguous) {

        /** The start of the least important block of size k (ties: the earlier start). */
        public int bestStart(int k) {
            double[] values = contiguous.get(k);
            if (values == null) throw new CompressException("depth scan: no block size " + k + " was scanned");
            int best = 0;
            for (int s = 1; s < values.length; s++) {
                boolean better = metric.higherIsLessImportant ? values[s] > values[best] : values[s] < values[best];
                if (better) best = s;
            }
            return best;
        }
    }

    /** The paper's block sizes for L layers: 1, 2, L/4, L/2 (distinct, each in [1, L-1]), ascending. */
    public static List<Integer> defaultBlockSizes(int layers) {
        TreeSet<Integer> sizes = new TreeSet<>();
        for (int k : new int[] {1, 2, layers / 4, layers / 2}) {
            if (k >= 1 && k <= layers - 1) sizes.add(k);
        }
        return new ArrayList<>(sizes);
    }

    // ------------------------------------------------------------------------------------------- removal

    /** The tensors of the model without the given layers, the others renumbered densely (shared, not copied). */
    public static SequencedMap<String, Tensor> droppedTensors(LlamaModel model, Collection<Integer> drop) {
        int layers = model.config.numHiddenLayers();
        for (int l : drop) {
            if (l < 0 || l >= layers) {
                throw new CompressException("depth pruning: expected layer indices in [0, " + layers + "), found " + l);
            }
        }
        if (new TreeSet<>(drop).size() >= layers) {
            throw new CompressException("depth pruning: expected to keep at least one of the " + layers
                    + " layers, found " + new TreeSet<>(drop).size() + " to drop");
        }
        SequencedMap<String, Var> params = model.parameters();
        SequencedMap<String, Tensor> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", params.get("model.embed_tokens.weight").value());
        int next = 0;
        for (int l = 0; l < layers; l++) {
            if (drop.contains(l)) continue;
            String from = "model.layers." + l + ".", to = "model.layers." + next + ".";
            for (Map.Entry<String, Var> e : params.entrySet()) {
                if (e.getKey().startsWith(from)) out.put(to + e.getKey().substring(from.length()), e.getValue().value());
            }
            next++;
        }
        out.put("model.norm.weight", params.get("model.norm.weight").value());
        if (params.containsKey("lm_head.weight")) out.put("lm_head.weight", params.get("lm_head.weight").value());
        return out;
    }

    /** The config with {@code removed} fewer layers. */
    public static LlamaConfig droppedConfig(LlamaConfig c, int removed) {
        return c.withShape(c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers() - removed,
                c.numAttentionHeads(), c.numKeyValueHeads());
    }

    /** The model without the given layers (over the same weights). */
    public static LlamaModel dropLayers(LlamaModel model, Collection<Integer> drop) {
        SequencedMap<String, Tensor> tensors = droppedTensors(model, drop);
        return LlamaModel.fromTensors(droppedConfig(model.config, new TreeSet<>(drop).size()), tensors, false);
    }

    // ------------------------------------------------------------------------------------------- scans

    /**
     * The scan by {@code metric}: {@link Metric#LOSS} uses {@code data} as the validation set, {@link Metric#BI}
     * as the calibration set, {@link Metric#TASK} uses {@code task} (the other may be null).
     */
    public static Scan scan(LlamaModel model, Metric metric, List<Integer> sizes, Calibration data, TaskMetric task) {
        if (metric == Metric.TASK ? task == null : data == null) {
            throw new CompressException("depth scan by " + metric.label() + ": expected "
                    + (metric == Metric.TASK ? "a task" : "a dataset (--data)") + ", found none");
        }
        return switch (metric) {
            case LOSS -> scanByRemoval(model, metric, sizes, data::meanLoss);
            case TASK -> scanByRemoval(model, metric, sizes, task::accuracy);
            case BI -> scanBlockImportance(model, data, sizes);
        };
    }

    /** What a metric's values are, for reports and plots. */
    public static String describe(Metric metric, TaskMetric task) {
        return switch (metric) {
            case LOSS -> "LM validation loss";
            case TASK -> task.task() + " accuracy";
            case BI -> "Block Importance (1 - cos)";
        };
    }

    /**
     * Scans with a metric evaluated on the model with layers removed ({@link Metric#LOSS} or {@link Metric#TASK}):
     * one evaluation per block start and size, and one per size for the non-contiguous choice.
     */
    public static Scan scanByRemoval(LlamaModel model, Metric metric, List<Integer> sizes,
                                     ToDoubleFunction<LlamaModel> evaluate) {
        int layers = model.config.numHiddenLayers();
        SequencedMap<Integer, double[]> contiguous = new LinkedHashMap<>();
        for (int k : withOne(sizes, layers)) {
            double[] values = new double[layers - k + 1];
            for (int s = 0; s + k <= layers; s++) {
                values[s] = evaluate.applyAsDouble(dropLayers(model, range(s, k)));
            }
            contiguous.put(k, values);
        }
        return withNonContiguous(metric, layers, contiguous, drop -> evaluate.applyAsDouble(dropLayers(model, drop)));
    }

    /**
     * Block Importance of every block (one pass over the calibration set with the full model): for sizes k and
     * starts s, 1 - mean over tokens of cos(hidden state entering layer s, hidden state leaving layer s + k - 1).
     * The non-contiguous variant is scored by the sum of its layers' single-layer BI.
     */
    public static Scan scanBlockImportance(LlamaModel model, Calibration calibration, List<Integer> sizes) {
        int layers = model.config.numHiddenLayers();
        List<Integer> ks = withOne(sizes, layers);
        SequencedMap<Integer, double[]> cosSums = new LinkedHashMap<>();
        for (int k : ks) cosSums.put(k, new double[layers - k + 1]);
        Tensor[] states = new Tensor[layers + 1];          // hidden states of the current batch, (B, T, C) each
        ForwardObserver observer = new ForwardObserver() {
            @Override
            public void hiddenState(int index, Tensor x) {
                states[index] = x;
            }
        };
        long tokens = 0;
        model.setObserver(observer);
        try (NoGrad scope = NoGrad.enter()) {
            for (Tensor[] batch : calibration.batches()) {
                model.forward(batch[0]);
                float[][] h = new float[layers + 1][];
                for (int i = 0; i <= layers; i++) h[i] = ChannelAccumulator.floats(states[i]);
                int c = model.config.hiddenSize();
                int n = (int) batch[0].numel();
                for (int k : ks) {
                    double[] sums = cosSums.get(k);
                    for (int s = 0; s + k <= layers; s++) sums[s] += sumCosine(h[s], h[s + k], n, c);
                }
                tokens += n;
                Arrays.fill(states, null);
            }
        } finally {
            model.setObserver(null);
        }
        SequencedMap<Integer, double[]> contiguous = new LinkedHashMap<>();
        for (Map.Entry<Integer, double[]> e : cosSums.entrySet()) {
            double[] bi = new double[e.getValue().length];
            for (int s = 0; s < bi.length; s++) bi[s] = 1.0 - e.getValue()[s] / tokens;
            contiguous.put(e.getKey(), bi);
        }
        double[] single = contiguous.get(1);
        return withNonContiguous(Metric.BI, layers, contiguous, drop -> {
            double sum = 0;
            for (int l : drop) sum += single[l];
            return sum;
        });
    }

    /** Sum over n rows of C values of cos(a_row, b_row). */
    static double sumCosine(float[] a, float[] b, int n, int c) {
        double total = 0;
        for (int r = 0; r < n; r++) {
            double dot = 0, na = 0, nb = 0;
            for (int j = r * c; j < (r + 1) * c; j++) {
                dot += (double) a[j] * b[j];
                na += (double) a[j] * a[j];
                nb += (double) b[j] * b[j];
            }
            total += dot / Math.max(Math.sqrt(na * nb), Double.MIN_NORMAL);
        }
        return total;
    }

    private static Scan withNonContiguous(Metric metric, int layers, SequencedMap<Integer, double[]> contiguous,
                                          ToDoubleFunction<List<Integer>> evaluate) {
        double[] single = contiguous.get(1);
        Integer[] order = IntStream.range(0, layers).boxed().toArray(Integer[]::new);
        Comparator<Integer> lessImportantFirst = metric.higherIsLessImportant
                ? Comparator.comparingDouble((Integer l) -> -single[l]) : Comparator.comparingDouble((Integer l) -> single[l]);
        Arrays.sort(order, lessImportantFirst.thenComparingInt(l -> l));
        SequencedMap<Integer, int[]> chosen = new LinkedHashMap<>();
        SequencedMap<Integer, Double> values = new LinkedHashMap<>();
        for (int k : contiguous.keySet()) {
            int[] drop = Arrays.stream(order, 0, k).mapToInt(Integer::intValue).sorted().toArray();
            chosen.put(k, drop);
            values.put(k, k == 1 ? single[drop[0]] : evaluate.applyAsDouble(Arrays.stream(drop).boxed().toList()));
        }
        return new Scan(metric, layers, contiguous, chosen, values);
    }

    /** The sizes with 1 added (the non-contiguous variant needs single layers), checked against L. */
    private static List<Integer> withOne(List<Integer> sizes, int layers) {
        TreeSet<Integer> out = new TreeSet<>(sizes);
        out.add(1);
        for (int k : out) {
            if (k < 1 || k >= layers) {
                throw new CompressException("depth pruning: expected block sizes in [1, " + (layers - 1) + "] for a "
                        + layers + "-layer model, found " + k);
            }
        }
        return new ArrayList<>(out);
    }

    /**
     * Writes {@code depth-<metric>.json} (every block's value, the non-contiguous choices) and
     * {@code depth-<metric>.png} (metric vs block start, one line per block size, as the paper's Figures 7/8).
     */
    public static void writeReport(Path dir, Scan scan, String metricDescription) throws IOException {
        Files.createDirectories(dir);
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("metric", scan.metric().label());
        root.put("description", metricDescription);
        root.put("layers", scan.layers());
        ObjectNode blocks = root.putObject("contiguous");
        List<LinePlot.Series> series = new ArrayList<>();
        for (Map.Entry<Integer, double[]> e : scan.contiguous().entrySet()) {
            ObjectNode b = blocks.putObject(Integer.toString(e.getKey()));
            ArrayNode values = b.putArray("by_start");
            for (double v : e.getValue()) values.add(v);
            b.put("best_start", scan.bestStart(e.getKey()));
            series.add(new LinePlot.Series("block of " + e.getKey(), ImportanceScores.indices(e.getValue().length),
                    e.getValue()));
        }
        ObjectNode non = root.putObject("non_contiguous");
        for (Map.Entry<Integer, int[]> e : scan.nonContiguousLayers().entrySet()) {
            ObjectNode n = non.putObject(Integer.toString(e.getKey()));
            ArrayNode layers = n.putArray("layers");
            for (int l : e.getValue()) layers.add(l);
            n.put("value", scan.nonContiguous().get(e.getKey()));
        }
        String name = "depth-" + scan.metric().label();
        AtomicFile.write(dir.resolve(name + ".json"), (mapper.writerWithDefaultPrettyPrinter().writeValueAsString(root)
                + "\n").getBytes(StandardCharsets.UTF_8));
        LinePlot.write(dir.resolve(name + ".png"), "Depth: " + metricDescription + " with a block removed",
                "first layer of the removed block", scan.metric().label(), series);
    }

    /** [start, start + k). */
    public static List<Integer> range(int start, int k) {
        return IntStream.range(start, start + k).boxed().toList();
    }
}

package minitron.transformer.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import minitron.tensor.DType;
import minitron.tensor.Shape;
import minitron.tensor.Tensor;
import minitron.transformer.config.LlamaConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.StringJoiner;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The tensors of an HF checkpoint, memory-mapped: one {@code model.safetensors}, or the shards named by
 * {@code model.safetensors.index.json}. Owns the mappings: {@link #close()} unmaps every file, after which the
 * tensors must not be used. Everything is validated before a Checkpoint is returned, and on failure every file
 * opened so far is closed again: nothing half-loaded escapes.
 *
 * <p>Checked against a config ({@link #checkAgainst}): every tensor the config needs must be present with the right
 * shape (all missing and mismatched tensors are listed in one error). Tensors the config does not need are
 * <em>warnings</em>, not errors ({@link #warnings()}): HF checkpoints in the wild carry harmless extras
 * ({@code rotary_emb.inv_freq} buffers, an {@code lm_head.weight} next to tied embeddings) that transformers
 * also ignores with a warning.
 */
public final class Checkpoint implements AutoCloseable {
    private final Path location;
    private final List<SafetensorsFile> files;
    private final SequencedMap<String, Tensor> tensors;   // sorted by name
    private final List<String> warnings;
    private final LlamaConfig config;                      // null when opened without one

    private Checkpoint(Path location, List<SafetensorsFile> files, SequencedMap<String, Tensor> tensors,
                       List<String> warnings, LlamaConfig config) {
        this.location = location;
        this.files = files;
        this.tensors = tensors;
        this.warnings = warnings;
        this.config = config;
    }

    /**
     * Opens a model directory the way transformers loads one: reads {@code config.json}, maps the tensors, and checks
     * them against the config. Unexpected tensors become {@link #warnings()}.
     */
    public static Checkpoint openModel(Path directory) {
        if (!Files.isDirectory(directory)) {
            throw new SafetensorsException(directory + ": " + (Files.exists(directory) ? "a file, not a directory" : "no such "
                    + "directory") + " (a model directory holds config.json and " + SafetensorsWriter.SINGLE_FILE + " or "
                    + SafetensorsWriter.INDEX_FILE + ")");
        }
        if (Files.isDirectory(directory.resolve("config.json"))) {
            throw new SafetensorsException(directory.resolve("config.json") + ": a directory, expected the HF config file");
        }
        LlamaConfig config = LlamaConfig.read(directory.resolve("config.json"));
        Checkpoint raw = open(directory);
        try {
            List<String> warnings = new ArrayList<>(raw.warnings);
            try {
                warnings.addAll(raw.checkAgainst(config));
            } catch (SafetensorsException e) {
                if (raw.warnings.isEmpty()) throw e;
                // e.g. a tensor the config needs that a shard holds but the index does not list: say both
                throw new SafetensorsException(e.getMessage() + "\n  also found while opening the files:\n  - "
                        + String.join("\n  - ", raw.warnings), e);
            }
            return new Checkpoint(raw.location, raw.files, raw.tensors, Collections.unmodifiableList(warnings), config);
        } catch (RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /**
     * Opens a {@code .safetensors} file, or a directory holding {@code model.safetensors.index.json} (sharded) or
     * {@code model.safetensors}. When both exist, {@code model.safetensors} wins, as in transformers'
     * from_pretrained ({@link SafetensorsWriter#writeSharded} never leaves both).
     */
    public static Checkpoint open(Path fileOrDirectory) {
        if (!Files.isDirectory(fileOrDirectory)) {
            SafetensorsFile file = SafetensorsFile.open(fileOrDirectory);
            SequencedMap<String, Tensor> tensors = new TreeMap<>();
            for (String name : file.names()) tensors.put(name, file.tensor(name));
            return new Checkpoint(fileOrDirectory, List.of(file), Collections.unmodifiableSequencedMap(tensors), List.of(), null);
        }
        Path single = fileOrDirectory.resolve(SafetensorsWriter.SINGLE_FILE);
        if (Files.exists(single)) {
            Checkpoint c = open(single);
            return new Checkpoint(fileOrDirectory, c.files, c.tensors, c.warnings, null);
        }
        Path index = fileOrDirectory.resolve(SafetensorsWriter.INDEX_FILE);
        if (Files.exists(index)) {
            return openSharded(fileOrDirectory, index);
        }
        throw new SafetensorsException(fileOrDirectory + ": no checkpoint found (expected " + SafetensorsWriter.SINGLE_FILE
                + " or " + SafetensorsWriter.INDEX_FILE + " with its shards)");
    }

    private static Checkpoint openSharded(Path directory, Path index) {
        String indexName = index.getFileName().toString();
        Map<String, String> weightMap = readWeightMap(index);
        Long declaredTotal = readTotalSize(index);

        // Every shard file must exist and be a plain name inside the directory.
        List<String> problems = new ArrayList<>();
        Map<String, List<String>> byShard = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(weightMap).entrySet()) {
            byShard.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(e.getKey());
        }
        for (String shard : byShard.keySet()) {
            if (shard.contains("/") || shard.contains("\\") || shard.equals("..") || shard.equals(".")) {
                problems.add("shard name \"" + shard + "\" is not a plain file name in the directory");
            } else if (!Files.isRegularFile(directory.resolve(shard))) {
                problems.add("shard " + shard + " (holding " + byShard.get(shard).size() + " tensors, e.g. \""
                        + byShard.get(shard).getFirst() + "\") " + (Files.exists(directory.resolve(shard))
                        ? "is not a regular file" : "does not exist"));
            }
        }
        if (!problems.isEmpty()) {
            throw new SafetensorsException(SafetensorsFile.describe(directory.resolve(indexName).toString(), problems)
                    .replace("invalid safetensors file", "inconsistent shard index"));
        }

        List<SafetensorsFile> opened = new ArrayList<>();
        boolean ok = false;
        try {
            SequencedMap<String, Tensor> tensors = new TreeMap<>();
            Map<String, String> foundIn = new TreeMap<>();
            List<String> warnings = new ArrayList<>();
            long totalBytes = 0;
            for (Map.Entry<String, List<String>> e : byShard.entrySet()) {
                SafetensorsFile file = SafetensorsFile.open(directory.resolve(e.getKey()));
                opened.add(file);
                for (String name : e.getValue()) {
                    if (!file.contains(name)) {
                        problems.add("\"" + name + "\" is mapped to " + e.getKey() + ", which does not contain it");
                    }
                }
                for (String name : file.names()) {
                    String other = foundIn.putIfAbsent(name, e.getKey());
                    if (other != null) {
                        problems.add("\"" + name + "\" is stored in both " + other + " and " + e.getKey());
                        continue;
                    }
                    if (!weightMap.containsKey(name)) {
                        warnings.add(e.getKey() + ": tensor \"" + name + "\" is not listed in " + indexName + " (ignored)");
                        continue;
                    }
                    if (!weightMap.get(name).equals(e.getKey())) continue;   // reported above as a missing mapping
                    tensors.put(name, file.tensor(name));
                    totalBytes += file.entry(name).byteSize();
                }
            }
            if (!problems.isEmpty()) {
                throw new SafetensorsException(SafetensorsFile.describe(directory.resolve(indexName).toString(), problems)
                        .replace("invalid safetensors file", "index and shards disagree"));
            }
            if (declaredTotal != null && declaredTotal != totalBytes) {
                warnings.add(indexName + ": metadata.total_size is " + declaredTotal + " but the mapped tensors hold "
                        + totalBytes + " bytes");
            }
            ok = true;
            return new Checkpoint(directory, List.copyOf(opened), Collections.unmodifiableSequencedMap(tensors),
                    Collections.unmodifiableList(warnings), null);
        } finally {
            if (!ok) opened.forEach(SafetensorsFile::close);
        }
    }

    private static JsonNode readIndex(Path index) {
        try {
            JsonNode root = StrictJson.readOne(SafetensorsFile.JSON, Files.readString(index));
            if (root == null || !root.isObject()) {
                throw new SafetensorsException(index + ": expected a JSON object with a weight_map, got "
                        + (root == null || root.isMissingNode() ? "an empty file" : root.getNodeType()));
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(index + ": not valid JSON: " + e.getOriginalMessage()
                    + " (line " + e.getLocation().getLineNr() + ")", e);
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(index + ": no such file", e);
        } catch (IOException e) {
            throw new SafetensorsException(index + ": cannot read: " + IoErrors.reason(e), e);
        }
    }

    private static Map<String, String> readWeightMap(Path index) {
        JsonNode map = readIndex(index).get("weight_map");
        if (map == null || !map.isObject()) {
            throw new SafetensorsException(index + ": expected \"weight_map\": {tensor name: shard file name}, got "
                    + (map == null ? "no weight_map" : map.getNodeType().toString()));
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(index + ": weight_map[\"" + e.getKey() + "\"] must be a file name, got " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static Long readTotalSize(Path index) {
        JsonNode total = readIndex(index).path("metadata").get("total_size");
        return total != null && total.canConvertToLong() && total.isIntegralNumber() ? total.longValue() : null;
    }

    // ---------------------------------------------------------------- checking against a config

    /**
     * Checks the tensors against a config: throws listing every missing tensor and every shape mismatch; returns a
     * warning for each tensor the config does not use.
     */
    public List<String> checkAgainst(LlamaConfig config) {
        long needed = config.expectedTensorCount();
        if (needed > 2L * tensors.size() + 100) {   // not a few missing tensors but another model: say so at once
            throw new SafetensorsException(location + ": the config (num_hidden_layers " + config.numHiddenLayers()
                    + ") needs " + needed + " tensors, the checkpoint holds " + tensors.size()
                    + ": config.json does not belong to these weights");
        }
        SequencedMap<String, Shape> expected = config.expectedTensors();
        List<String> problems = mismatches(config, tensors);
        if (!problems.isEmpty()) {
            String head = location + ": checkpoint does not match config (" + config.modelType() + ", hidden_size "
                    + config.hiddenSize() + ", num_hidden_layers " + config.numHiddenLayers() + ", head_dim " + config.headDim()
                    + "): " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s");
            StringBuilder sb = new StringBuilder(head);
            List<String> lines = groupedByLayer(problems);
            for (String p : lines.subList(0, Math.min(lines.size(), 50))) sb.append("\n  - ").append(p);
            if (lines.size() > 50) sb.append("\n  ... and ").append(lines.size() - 50).append(" more");
            throw new SafetensorsException(sb.toString());
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : tensors.keySet()) {
            if (!expected.containsKey(name)) {
                unexpected.add(location + ": tensor \"" + name + "\" is not used by the config (ignored)");
            }
        }
        return unexpected;
    }

    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.");

    /**
     * Problems that differ only in the layer index as one line, "... model.layers.N.mlp.up_proj.weight ... for
     * N = 0-15": a config with one wrong size puts the same mismatch in every layer, and a list of every layer's
     * copy hides which sizes differ.
     */
    static List<String> groupedByLayer(List<String> problems) {
        Map<String, List<Integer>> layers = new LinkedHashMap<>();
        for (String p : problems) {
            Matcher m = LAYER.matcher(p);
            if (m.find()) {
                String key = p.substring(0, m.start()) + "model.layers.N." + p.substring(m.end());
                layers.computeIfAbsent(key, x -> new ArrayList<>()).add(Integer.parseInt(m.group(1)));
            } else {
                layers.putIfAbsent(p, new ArrayList<>());
            }
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, List<Integer>> e : layers.entrySet()) {
            List<Integer> n = e.getValue();
            if (n.isEmpty()) {
                out.add(e.getKey());
            } else if (n.size() == 1) {
                out.add(e.getKey().replace("model.layers.N.", "model.layers." + n.getFirst() + "."));
            } else {
                out.add(e.getKey() + ", for N = " + ranges(n));
            }
        }
        return out;
    }

    /** 0, 1, 2, 3, 7, 9, 10 -> "0-3, 7, 9-10". */
    private static String ranges(List<Integer> sorted) {
        StringJoiner out = new StringJoiner(", ");
        for (int i = 0; i < sorted.size(); ) {
            int j = i;
            while (j + 1 < sorted.size() && sorted.get(j + 1) == sorted.get(j) + 1) j++;
            out.add(j == i ? String.valueOf(sorted.get(i)) : sorted.get(i) + "-" + sorted.get(j));
            i = j + 1;
        }
        return out.toString();
    }

    /** Every tensor the config needs that is missing or has another shape, one line each. */
    private static List<String> mismatches(LlamaConfig config, Map<String, Tensor> tensors) {
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Shape> e : config.expectedTensors().entrySet()) {
            Tensor t = tensors.get(e.getKey());
            if (t == null) {
                problems.add("missing tensor \"" + e.getKey() + "\" (expected shape " + e.getValue() + ")");
            } else if (!t.shape().equals(e.getValue())) {
                problems.add("tensor \"" + e.getKey() + "\" has shape " + t.shape() + ", the config needs " + e.getValue());
            }
        }
        return problems;
    }

    // ---------------------------------------------------------------- access

    public Path location() {
        return location;
    }

    /** The config read by {@link #openModel}, or null for {@link #open}. */
    public LlamaConfig config() {
        return config;
    }

    /** Non-fatal findings: unexpected tensors, index totals that disagree. */
    public List<String> warnings() {
        return warnings;
    }

    /** Tensor names, sorted. */
    public Set<String> names() {
        return tensors.keySet();
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The memory-mapped tensor (no copy); valid until {@link #close()}. */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new SafetensorsException(location + ": no tensor named \"" + name + "\" (" + tensors.size() + " tensors)");
        }
        return t;
    }

    /** Every tensor by name (sorted), memory-mapped. */
    public SequencedMap<String, Tensor> tensors() {
        return tensors;
    }

    /** The dtypes present, e.g. {BF16} for a typical HF checkpoint. */
    public Set<DType> dtypes() {
        Set<DType> out = new TreeSet<>();
        for (Tensor t : tensors.values()) out.add(t.dtype());
        return out;
    }

    public List<SafetensorsFile> files() {
        return files;
    }

    /** Unmaps every file. Idempotent. */
    @Override
    public void close() {
        for (SafetensorsFile f : files) f.close();
    }

    // ---------------------------------------------------------------- saving a model directory

    /**
     * Writes a model directory: {@code config.json} and the tensors ({@link SafetensorsWriter#writeSharded}),
     * each file atomically. The tensors are checked against the config first, so a save never produces a directory
     * that {@link #openModel} would refuse.
     */
    public static List<Path> saveModel(Path directory, LlamaConfig config, SequencedMap<String, Tensor> tensors,
                                       DType storeAs, long maxShardBytes) throws IOException {
        List<String> problems = mismatches(config, tensors);
        if (!problems.isEmpty()) {
            throw new SafetensorsException(directory + ": refusing to save tensors that do not match the config:\n  - "
                    + String.join("\n  - ", groupedByLayer(problems)));
        }
        List<Path> written = new ArrayList<>(SafetensorsWriter.writeSharded(directory, tensors, storeAs, maxShardBytes));
        // torch_dtype says what the files hold: transformers' torch_dtype="auto" loads the weights as that type
        DType stored = storeAs != null ? storeAs : commonDtype(tensors.values());
        (stored == null ? config : config.withTorchDtype(LlamaConfig.torchDtypeName(stored))).write(directory);
        written.add(directory.resolve("config.json"));
        return written;
    }

    /** The dtype every tensor has, or null when they differ. */
    private static DType commonDtype(Collection<Tensor> tensors) {
        DType common = null;
        for (Tensor t : tensors) {
            if (common != null && t.dtype() != common) return null;
            common = t.dtype();
        }
        return common;
    }
}

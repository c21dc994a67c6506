import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a HF Llama checkpoint directory (config.json and model.safetensors, or several *.safetensors shards) and
 * a tokenizer.json into a GGUF v3 file that llama3.java (mukel/llama3.java, the single-file Java peer of
 * scripts/bench-peer-llama3java.sh) loads, with the same weight bytes as ours: every matrix stays BF16 (or F16),
 * bit for bit; the norms become F32 (llama3.java reads norms only as F32; BF16 -> F32 is exact).
 *
 * <p>What llama3.java reads, and so what is written (the rest of llama.cpp's keys as its converter writes them):
 * <ul>
 *   <li>metadata llama.embedding_length, feed_forward_length, block_count, attention.head_count(_kv),
 *       context_length (UINT32), attention.layer_norm_rms_epsilon and rope.freq_base (FLOAT32);
 *   <li>tokenizer.ggml.model "gpt2", tokenizer.ggml.tokens (exactly vocab_size strings: its vocabulary size is the
 *       token count, and ids from 128000 on are taken as special tokens) and tokenizer.ggml.merges ("a b");
 *   <li>tensors token_embd, blk.N.attn_norm / attn_q / attn_k / attn_v / attn_output / ffn_norm / ffn_gate /
 *       ffn_up / ffn_down, output_norm, and output unless the embeddings are tied (then it uses token_embd).
 *       Matrices may be BF16, F16, Q8_0 or Q4_0 (not F32); norms F32 only.
 * </ul>
 * GGUF keeps q and k for RoPE on adjacent pairs (x[2i], x[2i+1]), which is how llama3.java rotates; HF rotates
 * the two halves of each head (x[i], x[i + d/2]). So, as llama.cpp's convert_hf_to_gguf.py does for Llama, the rows
 * of q_proj (per query head) and k_proj (per key/value head) are reordered: row h*d + 2i + s comes from row
 * h*d + s*d/2 + i (s = 0, 1). A Llama 3 rope_scaling in config.json is written as the rope_freqs tensor, as
 * llama.cpp does; llama3.java only checks that it exists and then applies its own fixed Llama 3.1 constants
 * (factor 8, low 1, high 3, original 8192), whatever config.json says.
 *
 * <p>Layout (GGUF spec): "GGUF", version 3, tensor count, metadata count, the metadata, the tensor infos (name,
 * dims innermost first, type, offset in the data section), padding to the alignment (32), then the tensor data,
 * each tensor at a multiple of 32. Little-endian throughout. llama3.java skips a whole 32 bytes when the tensor
 * infos end exactly on a multiple of 32 (it pads by 32 - pos % 32), so the header is kept off that boundary.
 *
 * <p>Run (Jackson from our jar parses the JSON):
 * <pre>java -cp cli/target/minitron.jar scripts/peer-llama3java/ToGguf.java MODEL_DIR TOKENIZER_JSON OUT.gguf</pre>
 */
public class ToGguf {
    static final int ALIGNMENT = 32;
    // ggml tensor types
    static final int GGML_F32 = 0, GGML_F16 = 1, GGML_BF16 = 30;
    // GGUF metadata value types
    static final int UINT32 = 4, INT32 = 5, FLOAT32 = 6, STRING = 8, ARRAY = 9;
    // llama.cpp's token types
    static final int NORMAL = 1, UNUSED = 5, CONTROL = 3, USER_DEFINED = 4;

    /** A tensor of a safetensors file: dtype, shape, and where its bytes are. */
    record Source(FileChannel file, String dtype, long[] shape, long offset, long bytes) {
        long rows() { return shape[0]; }
    }

    /** How a tensor's bytes are written: as they are, with q/k rows reordered per head, or widened to F32. */
    enum Kind { COPY, PERMUTE, TO_F32 }

    /** One GGUF tensor: its name, source, conversion, ggml type, size in bytes and offset in the data section. */
    record Tensor(String name, Source source, Kind kind, int heads, int type, long bytes, float[] values) {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: ToGguf MODEL_DIR TOKENIZER_JSON OUT.gguf");
            System.exit(2);
        }
        Path dir = Path.of(args[0]), tokenizerJson = Path.of(args[1]), out = Path.of(args[2]);
        ObjectMapper json = new ObjectMapper();
        JsonNode config = json.readTree(dir.resolve("config.json").toFile());

        int hidden = config.get("hidden_size").asInt();
        int ffn = config.get("intermediate_size").asInt();
        int layers = config.get("num_hidden_layers").asInt();
        int heads = config.get("num_attention_heads").asInt();
        int kvHeads = config.path("num_key_value_heads").asInt(heads);
        int headDim = config.path("head_dim").asInt(hidden / heads);
        int vocab = config.get("vocab_size").asInt();
        boolean tied = config.path("tie_word_embeddings").asBoolean(false);
        if (headDim * heads != hidden) {
            throw new IllegalArgumentException("head_dim " + headDim + " x " + heads + " heads != hidden_size "
                    + hidden + ": llama3.java takes the head size as hidden_size / heads");
        }

        // every *.safetensors file of the directory (one file, or the shards of an index)
        Map<String, Source> sources = new HashMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                readSafetensorsHeader(json, f, sources);
            }
        }

        // the tensors in llama.cpp's names and order
        List<Tensor> tensors = new ArrayList<>();
        tensors.add(matrix("token_embd.weight", sources, "model.embed_tokens.weight", Kind.COPY, 0));
        if (!tied) tensors.add(matrix("output.weight", sources, "lm_head.weight", Kind.COPY, 0));
        tensors.add(norm("output_norm.weight", sources, "model.norm.weight"));
        float[] ropeFreqs = ropeFreqs(config.path("rope_scaling"), config.path("rope_theta").asDouble(10000), headDim);
        if (ropeFreqs != null) tensors.add(new Tensor("rope_freqs.weight", null, Kind.TO_F32, 0, GGML_F32,
                4L * ropeFreqs.length, ropeFreqs));
        for (int l = 0; l < layers; l++) {
            String hf = "model.layers." + l + ".", gg = "blk." + l + ".";
            tensors.add(norm(gg + "attn_norm.weight", sources, hf + "input_layernorm.weight"));
            tensors.add(matrix(gg + "attn_q.weight", sources, hf + "self_attn.q_proj.weight", Kind.PERMUTE, heads));
            tensors.add(matrix(gg + "attn_k.weight", sources, hf + "self_attn.k_proj.weight", Kind.PERMUTE, kvHeads));
            tensors.add(matrix(gg + "attn_v.weight", sources, hf + "self_attn.v_proj.weight", Kind.COPY, 0));
            tensors.add(matrix(gg + "attn_output.weight", sources, hf + "self_attn.o_proj.weight", Kind.COPY, 0));
            tensors.add(norm(gg + "ffn_norm.weight", sources, hf + "post_attention_layernorm.weight"));
            tensors.add(matrix(gg + "ffn_gate.weight", sources, hf + "mlp.gate_proj.weight", Kind.COPY, 0));
            tensors.add(matrix(gg + "ffn_up.weight", sources, hf + "mlp.up_proj.weight", Kind.COPY, 0));
            tensors.add(matrix(gg + "ffn_down.weight", sources, hf + "mlp.down_proj.weight", Kind.COPY, 0));
        }

        // the tokenizer: ids 0.. of model.vocab, then added_tokens (the specials), [PADn] for any id left out
        JsonNode tok = json.readTree(tokenizerJson.toFile());
        String[] tokens = new String[vocab];
        int[] tokenTypes = new int[vocab];
        tok.get("model").get("vocab").properties().forEach(e -> {
            int id = e.getValue().asInt();
            if (id < vocab) {
                tokens[id] = e.getKey();
                tokenTypes[id] = NORMAL;
            }
        });
        for (JsonNode added : tok.path("added_tokens")) {
            int id = added.get("id").asInt();
            if (id < vocab) {
                tokens[id] = added.get("content").asText();
                tokenTypes[id] = added.path("special").asBoolean() ? CONTROL : USER_DEFINED;
            }
        }
        for (int i = 0; i < vocab; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                tokenTypes[i] = UNUSED;
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : tok.get("model").get("merges")) {
            // "a b" in older tokenizer.json files, ["a", "b"] in newer ones
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }

        // the header; its length decides where the data starts
        String name = dir.toAbsolutePath().getFileName().toString();
        byte[] header = header(config, name, hidden, ffn, layers, heads, kvHeads, headDim, vocab, tokens, tokenTypes,
                merges, tensors);
        if (header.length % ALIGNMENT == 0) {
            // see the class comment: llama3.java would skip 32 bytes here, so lengthen the name by one character
            header = header(config, name + "_", hidden, ffn, layers, heads, kvHeads, headDim, vocab, tokens,
                    tokenTypes, merges, tensors);
        }

        try (FileChannel o = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(o, ByteBuffer.wrap(header));
            pad(o);
            long dataStart = o.position(), bytes = 0;
            for (Tensor t : tensors) {
                writeTensor(o, t);
                pad(o);
                bytes += t.bytes();
            }
            System.err.printf("wrote %s: %d tensors (%.2f GB of data from %d), %d tokens, %d merges, %d layers%s%n",
                    out, tensors.size(), bytes / 1e9, dataStart, vocab, merges.size(), layers,
                    ropeFreqs != null ? ", rope_freqs (llama3.java applies its own fixed scaling)" : "");
        }
    }

    /** Reads the header of a safetensors file (8-byte little-endian length, then JSON) into {@code sources}. */
    static void readSafetensorsHeader(ObjectMapper json, Path file, Map<String, Source> sources) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); // kept open until the JVM exits
        ByteBuffer len = readFully(ch, 0, 8);
        long headerLength = len.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        JsonNode header = json.readTree(readFully(ch, 8, Math.toIntExact(headerLength)).array());
        header.properties().forEach(e -> {
            if (e.getKey().equals("__metadata__")) return;
            JsonNode t = e.getValue();
            long[] shape = new long[t.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = t.get("shape").get(i).asLong();
            long begin = t.get("data_offsets").get(0).asLong(), end = t.get("data_offsets").get(1).asLong();
            sources.put(e.getKey(), new Source(ch, t.get("dtype").asText(), shape, 8 + headerLength + begin,
                    end - begin));
        });
    }

    static Source source(Map<String, Source> sources, String hfName) {
        Source s = sources.get(hfName);
        if (s == null) throw new IllegalArgumentException("tensor " + hfName + " not found in the checkpoint");
        return s;
    }

    /** A weight matrix, kept in its dtype (llama3.java has no F32 matrices). */
    static Tensor matrix(String name, Map<String, Source> sources, String hfName, Kind kind, int heads) {
        Source s = source(sources, hfName);
        int type = switch (s.dtype()) {
            case "BF16" -> GGML_BF16;
            case "F16" -> GGML_F16;
            default -> throw new IllegalArgumentException(hfName + ": " + s.dtype()
                    + " matrices are not supported (llama3.java reads BF16, F16, Q8_0, Q4_0)");
        };
        return new Tensor(name, s, kind, heads, type, s.bytes(), null);
    }

    /** A norm weight, widened to F32. */
    static Tensor norm(String name, Map<String, Source> sources, String hfName) {
        Source s = source(sources, hfName);
        return new Tensor(name, s, Kind.TO_F32, 0, GGML_F32, 4 * s.rows(), null);
    }

    /**
     * llama.cpp's rope_freqs for a Llama 3 rope_scaling: per frequency pair, the factor its wavelength is divided by
     * (1 for short wavelengths, factor for long ones, smoothly in between); null without such a scaling.
     */
    static float[] ropeFreqs(JsonNode scaling, double theta, int headDim) {
        if (!scaling.path("rope_type").asText(scaling.path("type").asText()).equals("llama3")) return null;
        double factor = scaling.path("factor").asDouble(8), low = scaling.path("low_freq_factor").asDouble(1);
        double high = scaling.path("high_freq_factor").asDouble(4);
        double old = scaling.path("original_max_position_embeddings").asDouble(8192);
        float[] factors = new float[headDim / 2];
        for (int i = 0; i < factors.length; i++) {
            double freq = 1 / Math.pow(theta, 2.0 * i / headDim), wavelen = 2 * Math.PI / freq;
            if (wavelen < old / high) factors[i] = 1;
            else if (wavelen > old / low) factors[i] = (float) factor;
            else {
                double smooth = (old / wavelen - low) / (high - low);
                factors[i] = (float) (1 / ((1 - smooth) / factor + smooth));
            }
        }
        return factors;
    }

    /** The GGUF header: magic, version, counts, metadata, tensor infos (without the padding that follows). */
    static byte[] header(JsonNode config, String name, int hidden, int ffn, int layers, int heads, int kvHeads,
                         int headDim, int vocab, String[] tokens, int[] tokenTypes, List<String> merges,
                         List<Tensor> tensors) {
        Le kv = new Le();
        int count = 0;
        kv.str("general.architecture").u32(STRING).str("llama"); count++;
        kv.str("general.name").u32(STRING).str(name); count++;
        kv.str("general.alignment").u32(UINT32).u32(ALIGNMENT); count++;
        // llama.cpp's file type: MOSTLY_BF16 (32) or MOSTLY_F16 (1), after the matrices' type
        kv.str("general.file_type").u32(UINT32).u32(tensors.getFirst().type() == GGML_F16 ? 1 : 32); count++;
        kv.str("llama.vocab_size").u32(UINT32).u32(vocab); count++;
        kv.str("llama.context_length").u32(UINT32).u32(config.path("max_position_embeddings").asInt(8192)); count++;
        kv.str("llama.embedding_length").u32(UINT32).u32(hidden); count++;
        kv.str("llama.block_count").u32(UINT32).u32(layers); count++;
        kv.str("llama.feed_forward_length").u32(UINT32).u32(ffn); count++;
        kv.str("llama.attention.head_count").u32(UINT32).u32(heads); count++;
        kv.str("llama.attention.head_count_kv").u32(UINT32).u32(kvHeads); count++;
        kv.str("llama.rope.dimension_count").u32(UINT32).u32(headDim); count++;
        kv.str("llama.rope.freq_base").u32(FLOAT32).f32((float) config.path("rope_theta").asDouble(10000)); count++;
        kv.str("llama.attention.layer_norm_rms_epsilon").u32(FLOAT32)
                .f32((float) config.path("rms_norm_eps").asDouble(1e-5)); count++;
        kv.str("tokenizer.ggml.model").u32(STRING).str("gpt2"); count++;
        kv.str("tokenizer.ggml.pre").u32(STRING).str("llama-bpe"); count++;
        kv.str("tokenizer.ggml.tokens").u32(ARRAY).u32(STRING).u64(tokens.length);
        for (String t : tokens) kv.str(t);
        count++;
        kv.str("tokenizer.ggml.token_type").u32(ARRAY).u32(INT32).u64(tokenTypes.length);
        for (int t : tokenTypes) kv.u32(t);
        count++;
        kv.str("tokenizer.ggml.merges").u32(ARRAY).u32(STRING).u64(merges.size());
        for (String m : merges) kv.str(m);
        count++;
        if (config.has("bos_token_id")) {
            kv.str("tokenizer.ggml.bos_token_id").u32(UINT32).u32(config.get("bos_token_id").asInt()); count++;
        }
        JsonNode eos = config.path("eos_token_id");
        if (!eos.isMissingNode()) {
            kv.str("tokenizer.ggml.eos_token_id").u32(UINT32).u32(eos.isArray() ? eos.get(0).asInt() : eos.asInt());
            count++;
        }

        Le h = new Le();
        h.u32(0x46554747).u32(3).u64(tensors.size()).u64(count); // "GGUF" read as a little-endian int
        h.bytes(kv.out.toByteArray());
        long offset = 0;
        for (Tensor t : tensors) {
            long[] shape = t.source() != null ? t.source().shape() : new long[]{t.values().length};
            h.str(t.name()).u32(shape.length);
            for (int i = shape.length - 1; i >= 0; i--) h.u64(shape[i]); // innermost (columns) first
            h.u32(t.type()).u64(offset);
            offset = align(offset + t.bytes());
        }
        return h.out.toByteArray();
    }

    static void writeTensor(FileChannel o, Tensor t) throws IOException {
        Source s = t.source();
        switch (t.kind()) {
            case COPY -> {
                for (long done = 0; done < s.bytes(); ) done += s.file().transferTo(s.offset() + done, s.bytes() - done, o);
            }
            case PERMUTE -> {
                byte[] w = readFully(s.file(), s.offset(), Math.toIntExact(s.bytes())).array();
                writeFully(o, ByteBuffer.wrap(permuteRows(w, Math.toIntExact(s.rows()), t.heads())));
            }
            case TO_F32 -> {
                float[] v = t.values() != null ? t.values() : toFloats(s);
                ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) b.putFloat(f);
                writeFully(o, b.flip());
            }
        }
    }

    /**
     * HF's q/k rows (per head: the first halves of the RoPE pairs, then the second halves) in GGUF's order (the
     * pairs adjacent): row h*d + 2i + s of the result is row h*d + s*d/2 + i of {@code w}.
     */
    static byte[] permuteRows(byte[] w, int rows, int heads) {
        int rowBytes = w.length / rows, d = rows / heads;
        byte[] out = new byte[w.length];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < d / 2; i++) {
                for (int s = 0; s < 2; s++) {
                    int from = h * d + s * (d / 2) + i, to = h * d + 2 * i + s;
                    System.arraycopy(w, from * rowBytes, out, to * rowBytes, rowBytes);
                }
            }
        }
        return out;
    }

    /** A BF16, F16 or F32 tensor's values as floats (exact). */
    static float[] toFloats(Source s) throws IOException {
        ByteBuffer b = readFully(s.file(), s.offset(), Math.toIntExact(s.bytes())).order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(s.rows());
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (s.dtype()) {
                case "BF16" -> Float.intBitsToFloat(b.getShort(2 * i) << 16);
                case "F16" -> Float.float16ToFloat(b.getShort(2 * i));
                case "F32" -> b.getFloat(4 * i);
                default -> throw new IllegalArgumentException("norm dtype " + s.dtype());
            };
        }
        return v;
    }

    static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    static void pad(FileChannel o) throws IOException {
        writeFully(o, ByteBuffer.allocate((int) (align(o.position()) - o.position())));
    }

    static ByteBuffer readFully(FileChannel ch, long position, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) throw new IOException("unexpected end of file");
        }
        return b.flip();
    }

    static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** A little-endian byte writer; GGUF strings are a uint64 byte length and UTF-8 without a terminator. */
    static final class Le {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        Le u32(int v) {
            out.write(b.clear().putInt(v).array(), 0, 4);
            return this;
        }

        Le u64(long v) {
            out.write(b.clear().putLong(v).array(), 0, 8);
            return this;
        }

        Le f32(float v) {
            return u32(Float.floatToRawIntBits(v));
        }

        Le str(String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            return u64(utf8.length).bytes(utf8);
        }

        Le bytes(byte[] bytes) {
            out.write(bytes, 0, bytes.length);
            return this;
        }
    }
}

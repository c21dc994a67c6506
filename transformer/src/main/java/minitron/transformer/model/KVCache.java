package minitron.transformer.model;

import minitron.tensor.DType;
import minitron.tensor.Ops;
import minitron.tensor.Tensor;
import minitron.tensor.TensorException;
import minitron.transformer.config.LlamaConfig;

/**
 * The keys and values of every layer for the positions seen so far, so that decoding one more token costs one
 * position of work instead of the whole sequence. Shape legend as in {@link LlamaModel}: B batch, G
 * num_key_value_heads, T new positions, D head_dim; S_alloc the positions allocated (at most the capacity).
 *
 * <p>keys[l], values[l]: (B, G, S_alloc, D) F32, of which positions [0, length) are filled. A forward over T new
 * tokens writes positions [length, length + T) of every layer ({@link #write}) and then {@link #advance}s.
 * Keys are stored after RoPE (their position is fixed once written), as HF's DynamicCache does. The capacity is
 * the most positions the cache will hold; memory grows with the positions actually used (S_alloc doubles when a
 * forward needs more, up to the capacity), so a generation allowed many tokens that stops early at EOS pays for the
 * tokens it made, as with HF's DynamicCache.
 *
 * <p>With a sliding window (Mistral's sliding_window W) every position is still kept, not a rolling buffer of W:
 * the attention kernel masks by absolute position and skips the cached keys older than the window, so a decoded
 * token reads O(W) of the cache while the memory grows with the sequence as without a window.
 */
public final class KVCache {
    /**
     * Positions allocated by a new cache (or its capacity, if smaller): keys and values of 8 KV heads of 64 take
     * 1 MiB per layer and sequence.
     */
    static final int INITIAL_POSITIONS = 256;

    private final Tensor[] keys;    // per layer (B, G, S_alloc, D)
    private final Tensor[] values;  // per layer (B, G, S_alloc, D)
    private final int batch;
    private final int capacity;
    private int allocated;
    private int length;

    public KVCache(LlamaConfig config, int batch, int capacity) {
        this(config, batch, capacity, INITIAL_POSITIONS);
    }

    /** A cache that first allocates {@code initialPositions} (at most the capacity); tests grow it early. */
    KVCache(LlamaConfig config, int batch, int capacity, int initialPositions) {
        if (batch <= 0 || capacity <= 0 || initialPositions <= 0) {
            throw TensorException.of("KVCache", "batch > 0 and capacity > 0", "batch " + batch + ", capacity " + capacity);
        }
        this.batch = batch;
        this.capacity = capacity;
        int layers = config.numHiddenLayers();
        keys = new Tensor[layers];
        values = new Tensor[layers];
        allocated = Math.min(capacity, initialPositions);
        for (int l = 0; l < layers; l++) {
            keys[l] = Tensor.zeros(DType.F32, batch, config.numKeyValueHeads(), allocated, config.headDim());
            values[l] = Tensor.zeros(DType.F32, batch, config.numKeyValueHeads(), allocated, config.headDim());
        }
    }

    /** Positions filled so far (the position of the next token). */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    public int batch() {
        return batch;
    }

    /** Positions the cache holds memory for now (at most the capacity). */
    public int allocated() {
        return allocated;
    }

    /** Checks that T more positions fit the capacity, and grows the memory when they do not fit what it holds. */
    void reserve(Ops ops, int t) {
        if (length + t > capacity) {
            throw TensorException.of("KVCache", "at most " + capacity + " positions (the cache capacity)",
                    length + " cached + " + t + " new = " + (length + t));
        }
        if (length + t > allocated) grow(ops, (int) Math.min(capacity, Math.max(length + t, 2L * allocated)));
    }

    /** Moves every layer's keys and values to tensors of {@code positions} positions, the filled ones copied. */
    private void grow(Ops ops, int positions) {
        for (int l = 0; l < keys.length; l++) {
            keys[l] = grown(ops, keys[l], positions);
            values[l] = grown(ops, values[l], positions);
        }
        allocated = positions;
    }

    private Tensor grown(Ops ops, Tensor old, int positions) {
        Tensor larger = Tensor.zeros(DType.F32, old.dim(0), old.dim(1), positions, old.dim(3));
        if (length > 0) ops.copyInto(old.slice(2, 0, length), larger.slice(2, 0, length));
        return larger;
    }

    /** Stores k and v (B, G, T, D) of layer {@code layer} at positions [length, length + T). */
    void write(Ops ops, int layer, Tensor k, Tensor v) {
        int t = k.dim(2);
        ops.copyInto(k, keys[layer].slice(2, length, length + t));
        ops.copyInto(v, values[layer].slice(2, length, length + t));
    }

    /** Keys of layer {@code layer} for positions [0, end): a (B, G, end, D) view, no copy. */
    Tensor keys(int layer, int end) {
        return keys[layer].slice(2, 0, end);
    }

    /** Values of layer {@code layer} for positions [0, end): a (B, G, end, D) view, no copy. */
    Tensor values(int layer, int end) {
        return values[layer].slice(2, 0, end);
    }

    /** Marks T more positions as filled (called once per forward, after every layer wrote). */
    void advance(int t) {
        length += t;
    }

    /**
     * Forgets the positions from {@code newLength} on, keeping [0, newLength): a shared prefix (the context of
     * several continuations) is computed once, and each continuation is appended and then dropped again.
     */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw TensorException.of("KVCache.truncate", "a length in [0, " + length + "]", Integer.toString(newLength));
        }
        length = newLength;
    }

    /** Forgets every position (the memory is reused). */
    public void clear() {
        length = 0;
    }
}

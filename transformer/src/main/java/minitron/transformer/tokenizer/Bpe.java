package minitron.transformer.tokenizer;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The BPE model: a vocabulary of byte-level strings and a ranked list of merges. A piece is encoded by starting from
 * one symbol per character and repeatedly merging the adjacent pair with the lowest merge rank (the leftmost such
 * pair on a tie) until no adjacent pair has a merge; this is HF's {@code Word::merge_all} without dropout, run with
 * a binary heap of candidate merges over a doubly linked list of symbols, so a long piece costs O(n log n).
 *
 * <p>With {@code ignore_merges} (Llama 3 sets it) a piece that is itself in the vocabulary maps straight to its id
 * without merging, even when the merges would have produced other tokens. Results are cached per piece.
 */
final class Bpe {
    /** When the cache holds this many pieces it is cleared (HF's BPE cache holds 10 000; pieces are short). */
    private static final int CACHE_CAPACITY = 200_000;
    /** Longer pieces are not cached (HF's limit too): they are rare and would fill memory. */
    private static final int CACHE_MAX_PIECE_LENGTH = 256;

    private final Map<String, Integer> vocab;
    private final boolean ignoreMerges;
    /** (left id, right id) -> merge rank; the merged token's id is mergedId[rank]. */
    private final PairMap ranks;
    private final int[] mergedId;
    /** id of each single alphabet character (index: the char), -1 when absent; the alphabet is below U+0200. */
    private final int[] charId;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    /** The file, for the error of a character missing from the vocabulary (found only when a text has it). */
    private final String where;

    /**
     * @param merges the merges in rank order, each as its two parts
     * @param where  names the file for error messages
     */
    Bpe(Map<String, Integer> vocab, String[][] merges, boolean ignoreMerges, String where) {
        this.vocab = vocab;
        this.where = where;
        this.ignoreMerges = ignoreMerges;
        this.ranks = new PairMap(merges.length);
        this.mergedId = new int[merges.length];
        for (int rank = 0; rank < merges.length; rank++) {
            String left = merges[rank][0];
            String right = merges[rank][1];
            Integer leftId = vocab.get(left);
            Integer rightId = vocab.get(right);
            Integer merged = vocab.get(left + right);
            if (leftId == null || rightId == null || merged == null) {
                String missing = leftId == null ? left : rightId == null ? right : left + right;
                throw new TokenizerException(where + ": model.merges[" + rank + "] = (" + Regexes.quote(left) + ", "
                        + Regexes.quote(right) + "): expected both parts and their concatenation in model.vocab, "
                        + "but " + Regexes.quote(missing) + " is not");
            }
            // A pair listed twice keeps its last rank: HF collects the merges into a HashMap, whose later
            // inserts overwrite earlier ones.
            ranks.put(leftId, rightId, rank);
            mergedId[rank] = merged;
        }
        this.charId = new int[0x200];
        Arrays.fill(charId, -1);
        for (int b = 0; b < 256; b++) {
            char c = ByteLevel.charOf(b);
            Integer id = vocab.get(String.valueOf(c));
            if (id != null) {
                charId[c] = id;
            }
        }
    }

    /** The ids of one piece given in the byte-level alphabet (one character per UTF-8 byte). */
    int[] encode(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        int[] ids = encodeUncached(piece);
        if (piece.length() > CACHE_MAX_PIECE_LENGTH) {
            return ids;
        }
        if (cache.size() >= CACHE_CAPACITY) {
            cache.clear();
        }
        cache.put(piece, ids);
        return ids;
    }

    private int[] encodeUncached(String piece) {
        if (ignoreMerges) {
            Integer whole = vocab.get(piece);
            if (whole != null) {
                return new int[] {whole};
            }
        }
        int n = piece.length();
        // The word as a doubly linked list of symbols; a merged-away symbol gets id -1.
        int[] id = new int[n];
        int[] prev = new int[n];
        int[] next = new int[n];
        for (int i = 0; i < n; i++) {
            char c = piece.charAt(i);
            id[i] = c < charId.length ? charId[c] : -1;
            if (id[i] < 0) {
                throw new TokenizerException(where + ": BPE: expected every byte-level character in model.vocab, got "
                        + Regexes.quote(String.valueOf(c)) + " (U+" + Integer.toHexString(c).toUpperCase() + ") missing");
            }
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // Candidate merges, keyed (rank << 32 | position of the left symbol): the heap pops the lowest rank and,
        // on equal rank, the leftmost position, exactly HF's ordering of its Merge struct.
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            int rank = ranks.get(id[i], id[i + 1]);
            if (rank >= 0) heap.push(((long) rank << 32) | i);
        }
        int alive = n;
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int rank = (int) (top >>> 32);
            int pos = (int) top;
            int right = id[pos] < 0 ? -1 : next[pos];
            // Stale entry: the left symbol was merged away, or its right neighbour changed since the push.
            if (right < 0 || ranks.get(id[pos], id[right]) != rank) {
                continue;
            }
            id[pos] = mergedId[rank];
            id[right] = -1;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            alive--;
            if (prev[pos] >= 0) {
                int r = ranks.get(id[prev[pos]], id[pos]);
                if (r >= 0) heap.push(((long) r << 32) | prev[pos]);
            }
            if (next[pos] >= 0) {
                int r = ranks.get(id[pos], id[next[pos]]);
                if (r >= 0) heap.push(((long) r << 32) | pos);
            }
        }
        int[] out = new int[alive];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[k++] = id[i];
        }
        return out;
    }

    /** An open-addressing hash map from a pair of non-negative ints to a non-negative int (absent: -1). */
    private static final class PairMap {
        private final long[] keys;
        private final int[] values;
        private final int mask;

        PairMap(int expected) {
            int capacity = Integer.highestOneBit(Math.max(4, expected * 2 - 1)) << 1;
            keys = new long[capacity];
            values = new int[capacity];
            Arrays.fill(keys, -1L);
            mask = capacity - 1;
        }

        private static long key(int a, int b) {
            return ((long) a << 32) | (b & 0xFFFFFFFFL);
        }

        private int slot(long key) {
            long h = key * 0x9E3779B97F4A7C15L;
            return (int) (h >>> 32) & mask;
        }

        void put(int a, int b, int value) {
            long k = key(a, b);
            int s = slot(k);
            while (keys[s] != -1L && keys[s] != k) s = (s + 1) & mask;
            keys[s] = k;
            values[s] = value;
        }

        int get(int a, int b) {
            if (a < 0 || b < 0) return -1;
            long k = key(a, b);
            int s = slot(k);
            while (keys[s] != -1L) {
                if (keys[s] == k) return values[s];
                s = (s + 1) & mask;
            }
            return -1;
        }
    }

    /** A binary min-heap of longs. */
    private static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(4, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (a[parent] <= v) break;
                a[i] = a[parent];
                i = parent;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            while (true) {
                int child = 2 * i + 1;
                if (child >= size) break;
                if (child + 1 < size && a[child + 1] < a[child]) child++;
                if (a[child] >= last) break;
                a[i] = a[child];
                i = child;
            }
            a[i] = last;
            return top;
        }
    }
}

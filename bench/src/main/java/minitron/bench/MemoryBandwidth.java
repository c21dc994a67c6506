package minitron.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.Parallel;

/**
 * The machine's memory bandwidth as a plain copy sees it: MemorySegment.copy between two off-heap buffers of
 * {@code megabytes} (default 256 MB, far larger than the caches), split over the threads of {@link Parallel}'s pool.
 * Reported as STREAM does for its Copy kernel: (bytes read + bytes written) / second, so a copy of S bytes
 * counts 2 S. This is the yardstick for the streaming kernels (GEMV reads its weights once). A read-only figure
 * (a vector sum over the buffer, the access pattern of GEMV without its arithmetic) is measured too.
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {
    }

    /** Median copy bandwidth in GB/s (1e9 bytes) over {@code repeats} timed copies, after two warm-up copies. */
    public static double copyGigabytesPerSecond(int megabytes, int repeats) {
        try (Probe probe = new Probe(megabytes)) {
            probe.copy(2);
            double[] gbs = new double[repeats];
            for (int i = 0; i < repeats; i++) gbs[i] = probe.copy(1);
            return Timing.median(gbs);
        }
    }

    /**
     * Buffers kept for repeated measurements, so a caller can interleave them with its own kernel (on a shared,
     * noisy machine, comparing measurements taken at the same moment is what makes a ratio meaningful).
     */
    public static final class Probe implements AutoCloseable {
        private final Arena arena = Arena.ofShared();
        private final long bytes;
        private final MemorySegment src, dst;

        public Probe(int megabytes) {
            bytes = (long) megabytes << 20;
            src = arena.allocate(bytes, 4096);
            dst = arena.allocate(bytes, 4096);
            src.fill((byte) 1); // touch every page before timing
            dst.fill((byte) 2);
        }

        /** Copies the buffer {@code times} times with Parallel's threads; returns (read + write) GB/s. */
        public double copy(int times) {
            int chunks = Math.max(1, Parallel.threads());
            long chunk = (bytes / chunks + 4095) & ~4095L;
            long t0 = System.nanoTime();
            for (int t = 0; t < times; t++) {
                Parallel.forRange(chunks, 1, (start, end) -> {
                    for (int c = start; c < end; c++) {
                        long from = c * chunk;
                        long length = Math.min(chunk, bytes - from);
                        if (length > 0) MemorySegment.copy(src, from, dst, from, length);
                    }
                });
            }
            return 2.0 * bytes * times / (System.nanoTime() - t0);
        }

        /** Sums the source buffer {@code times} times with Parallel's threads; returns read GB/s. */
        public double read(int times) {
            long t0 = System.nanoTime();
            for (int t = 0; t < times; t++) sum(src, bytes);
            return (double) bytes * times / (System.nanoTime() - t0);
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * Median read bandwidth in GB/s: every thread sums its share of an off-heap buffer of {@code megabytes} with
     * four vector accumulators (bytes read / second).
     */
    public static double readGigabytesPerSecond(int megabytes, int repeats) {
        try (Probe probe = new Probe(megabytes)) {
            probe.read(2);
            double[] gbs = new double[repeats];
            for (int i = 0; i < repeats; i++) gbs[i] = probe.read(1);
            return Timing.median(gbs);
        }
    }

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** Vector sum over [0, bytes) of src, split in 1024 chunks over Parallel's threads (the result is discarded). */
    private static void sum(MemorySegment src, long bytes) {
        int chunks = 1024;
        int width = F.vectorByteSize();
        int vectorsPerChunk = (int) (bytes / chunks / width) / 4 * 4;
        long chunk = (long) vectorsPerChunk * width;
        float[] sink = new float[chunks];
        Parallel.forRange(chunks, 1, (start, end) -> {
            for (int c = start; c < end; c++) sink[c] = sumChunk(src, c * chunk, vectorsPerChunk);
        });
    }

    private static float sumChunk(MemorySegment src, long base, int vectors) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int width = F.vectorByteSize();
        for (int v = 0; v < vectors; v += 4) {
            long at = base + (long) v * width;
            a0 = a0.add(FloatVector.fromMemorySegment(F, src, at, ORDER));
            a1 = a1.add(FloatVector.fromMemorySegment(F, src, at + width, ORDER));
            a2 = a2.add(FloatVector.fromMemorySegment(F, src, at + 2L * width, ORDER));
            a3 = a3.add(FloatVector.fromMemorySegment(F, src, at + 3L * width, ORDER));
        }
        return a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
    }

    /** {@code MemoryBandwidth [megabytes] [repeats]}. */
    public static void main(String[] args) {
        int megabytes = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        System.out.printf("copy %d MB, %d threads: %.1f GB/s (read + write)%n", megabytes, Parallel.threads(),
                copyGigabytesPerSecond(megabytes, repeats));
        System.out.printf("read %d MB, %d threads: %.1f GB/s%n", megabytes, Parallel.threads(),
                readGigabytesPerSecond(megabytes, repeats));
    }
}

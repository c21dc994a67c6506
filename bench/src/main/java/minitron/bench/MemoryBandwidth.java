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
        long bytes = (long) megabytes << 20;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment src = arena.allocate(bytes, 4096);
            MemorySegment dst = arena.allocate(bytes, 4096);
            src.fill((byte) 1); // touch every page before timing
            dst.fill((byte) 2);
            int chunks = Math.max(1, Parallel.threads());
            long chunk = (bytes / chunks + 4095) & ~4095L;
            Runnable copy = () -> Parallel.forRange(chunks, 1, (start, end) -> {
                for (int c = start; c < end; c++) {
                    long from = c * chunk;
                    long length = Math.min(chunk, bytes - from);
                    if (length > 0) MemorySegment.copy(src, from, dst, from, length);
                }
            });
            double median = Timing.median(Timing.time(copy, 2, repeats));
            return 2.0 * bytes / (median * 1e6);
        }
    }

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /**
     * Median read bandwidth in GB/s: every thread sums its share of an off-heap buffer of {@code megabytes} with
     * four vector accumulators (bytes read / second).
     */
    public static double readGigabytesPerSecond(int megabytes, int repeats) {
        long bytes = (long) megabytes << 20;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment src = arena.allocate(bytes, 4096);
            src.fill((byte) 1);
            int chunks = 64;
            long step = 4L * F.vectorByteSize();
            long chunk = bytes / chunks / step * step;
            float[] sink = new float[chunks];
            Runnable read = () -> Parallel.forRange(chunks, 1, (start, end) -> {
                for (int c = start; c < end; c++) {
                    long base = c * chunk;
                    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                    for (long at = base; at < base + chunk; at += step) {
                        a0 = a0.add(FloatVector.fromMemorySegment(F, src, at, ByteOrder.nativeOrder()));
                        a1 = a1.add(FloatVector.fromMemorySegment(F, src, at + F.vectorByteSize(), ByteOrder.nativeOrder()));
                        a2 = a2.add(FloatVector.fromMemorySegment(F, src, at + 2L * F.vectorByteSize(), ByteOrder.nativeOrder()));
                        a3 = a3.add(FloatVector.fromMemorySegment(F, src, at + 3L * F.vectorByteSize(), ByteOrder.nativeOrder()));
                    }
                    sink[c] = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
                }
            });
            double median = Timing.median(Timing.time(read, 2, repeats));
            return chunk * (double) chunks / (median * 1e6);
        }
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

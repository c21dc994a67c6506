package minitron.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import minitron.tensor.Parallel;

/**
 * The machine's memory bandwidth as a plain copy sees it: MemorySegment.copy between two off-heap buffers of
 * {@code megabytes} (default 256 MB, far larger than the caches), split over the threads of {@link Parallel}'s pool.
 * Reported as STREAM does for its Copy kernel: (bytes read + bytes written) / second, so a copy of S bytes
 * counts 2 S. This is the yardstick for the streaming kernels (GEMV reads its weights once).
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

    /** {@code MemoryBandwidth [megabytes] [repeats]}. */
    public static void main(String[] args) {
        int megabytes = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        System.out.printf("copy %d MB, %d threads: %.1f GB/s (read + write)%n", megabytes, Parallel.threads(),
                copyGigabytesPerSecond(megabytes, repeats));
    }
}

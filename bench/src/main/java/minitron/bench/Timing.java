package minitron.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/** Wall-clock timing helpers shared by the plain-Java measurements. */
final class Timing {
    private Timing() {
    }

    /** Runs body warmup times untimed, then repeats times; returns the milliseconds of each timed run. */
    static double[] time(Runnable body, int warmup, int repeats) {
        for (int i = 0; i < warmup; i++) body.run();
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            body.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    /** Runs body at least {@code calls} times and for at least {@code seconds}. */
    static void warmUp(Runnable body, int calls, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        for (int i = 0; i < calls || System.nanoTime() < end; i++) body.run();
    }

    /**
     * CPU time of the process's Java threads (the kernel pool's among them) in nanoseconds, or -1 when the JVM does
     * not report it: the sum of their own CPU clocks, which Linux keeps to the nanosecond. The process clock of
     * OperatingSystemMXBean moves in 10 ms steps here, so a 50 ms measurement read 0.00 or 1.8 for the same load.
     * JIT compiler and GC threads are not Java threads and are not counted: cpu/wall then says how much of the
     * cores the computing threads got (spinning in the pool counts as theirs).
     */
    static long threadsCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) return -1;
        long sum = 0;
        for (long id : threads.getAllThreadIds()) {
            long nanos = threads.getThreadCpuTime(id); // -1 for a thread that ended meanwhile
            if (nanos > 0) sum += nanos;
        }
        return sum;
    }

    /**
     * The CPU time between two readings of {@link #threadsCpuNanos}, or -1 when either is unknown (so that two
     * unknown readings do not look like zero CPU time).
     */
    static long cpuBetween(long before, long after) {
        return before < 0 || after < 0 ? -1 : after - before;
    }

    /** Shortest wall time over which {@link #cpuPerWall} is reported: the CPU clocks' reads cost tens of us. */
    static final long MIN_CPU_WALL_NANOS = 20_000_000;

    /**
     * CPU nanoseconds of the Java threads per wall nanosecond, or NaN when the wall time is too short to say
     * (under {@link #MIN_CPU_WALL_NANOS}) or the CPU time is unknown.
     */
    static double cpuPerWall(long cpuNanos, long wallNanos) {
        return cpuNanos < 0 || wallNanos < MIN_CPU_WALL_NANOS ? Double.NaN : (double) cpuNanos / wallNanos;
    }

    /** A cpu/wall value for a line of text: two decimals, or "n/a" with the reasons for NaN. */
    static String cpuPerWallText(double cpuPerWall) {
        return Double.isNaN(cpuPerWall) ? "n/a, too short to measure (or no thread CPU clock)"
                : String.format("%.2f", cpuPerWall);
    }

    /** The median of the values that are not NaN; NaN when none is. */
    static double medianOfKnown(double[] values) {
        double[] known = Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
        return known.length == 0 ? Double.NaN : median(known);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

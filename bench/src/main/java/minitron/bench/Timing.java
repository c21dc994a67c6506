package minitron.bench;

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

    /** CPU time of this process (all threads) in nanoseconds, or -1 when the JVM does not report it. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

package minitron.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * The one thread pool every kernel shares. Its size defaults to {@code availableProcessors()} and can be set with
 * the system property {@code minitron.threads}, the environment variable {@code MINITRON_THREADS}, or
 * {@link #setThreads}. Threads are created once; a kernel call only submits tasks. A range split from inside a
 * pool thread runs inline (no nested parallelism, no deadlock).
 */
public final class Parallel {
    /** The body of a parallel loop over [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    private static volatile ForkJoinPool pool;
    private static volatile int threads = defaultThreads();

    private Parallel() {
    }

    private static int defaultThreads() {
        String configured = System.getProperty("minitron.threads", System.getenv("MINITRON_THREADS"));
        if (configured != null && !configured.isBlank()) {
            try {
                int n = Integer.parseInt(configured.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the warning
            }
            System.err.println("minitron: ignoring thread count '" + configured + "' (expected an integer >= 1)");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    public static int threads() {
        return threads;
    }

    /** Sets the pool size (>= 1); the old pool, if any, finishes its work and is shut down. */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw TensorException.of("Parallel.setThreads", "a thread count >= 1", String.valueOf(n));
        if (n == threads && pool != null) return;
        threads = n;
        ForkJoinPool old = pool;
        pool = null;
        if (old != null) old.shutdown();
    }

    private static ForkJoinPool pool() {
        ForkJoinPool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    p = new ForkJoinPool(threads, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, false);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * Runs body over [0, n) split into at most {@link #threads()} contiguous chunks of at least {@code grain}
     * items each. Returns when every chunk is done; an exception in any chunk is rethrown.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || n <= 1 || ForkJoinTask.inForkJoinPool()) {
            if (n > 0) body.run(0, n);
            return;
        }
        chunks = Math.min(chunks, n);
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks - 1);
        ForkJoinPool p = pool();
        for (int c = 1; c < chunks; c++) {
            int start = (int) ((long) n * c / chunks);
            int end = (int) ((long) n * (c + 1) / chunks);
            tasks.add(p.submit(() -> body.run(start, end)));
        }
        body.run(0, (int) ((long) n / chunks));
        for (ForkJoinTask<?> t : tasks) t.join();
    }
}

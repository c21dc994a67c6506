package minitron.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one thread pool every kernel shares. Its size defaults to {@code availableProcessors()} and can be set with
 * the system property {@code minitron.threads}, the environment variable {@code MINITRON_THREADS}, or
 * {@link #setThreads}. A pool of T threads is the calling thread plus T - 1 workers created once; a kernel call
 * hands the workers their chunks and runs the first chunk itself. A range split from inside a chunk runs inline
 * (no nested parallelism, no deadlock).
 *
 * <p>Why not a {@code ForkJoinPool}: a decode step is a few hundred short parallel calls (a GEMV of a 2048 x 2048
 * BF16 matrix takes ~250 us on two cores), and waking a parked pool thread cost 40-70 us per call on this VM (an
 * idle virtual CPU has to be woken by the hypervisor). Here a worker that has finished its chunk spins, yielding
 * its core to any other runnable thread, for {@link #SPIN_NANOS} before it parks, and so does a caller waiting for
 * the workers; back-to-back calls never park. Chunk boundaries are a fixed function of (n, chunks) (see
 * {@link #forRange}), so results do not depend on which thread ran which chunk.
 */
public final class Parallel {
    /** The body of a parallel loop over [start, end). */
    @FunctionalInterface
    public interface RangeBody {
        void run(int start, int end);
    }

    /**
     * How long an idle worker, or a caller waiting for its workers, spins before parking: 1 ms (system property
     * {@code minitron.spinMicros}). Long enough to cover the serial work between the kernels of a decode step or
     * a training step; short enough that an idle pool costs nothing measurable.
     */
    static final long SPIN_NANOS = 1000L * Long.getLong("minitron.spinMicros", 1000L);
    /** Pure spinning (no yield) for the first part of a wait: the common case, a chunk ending within microseconds. */
    private static final long HOT_SPIN_NANOS = 20_000L;

    private static volatile Pool pool;
    private static volatile int threads = defaultThreads();

    /** The most threads the pool may have: far beyond any core count, short of exhausting the OS's threads. */
    public static final int MAX_THREADS = 1024;

    private Parallel() {
    }

    private static int defaultThreads() {
        String configured = System.getProperty("minitron.threads", System.getenv("MINITRON_THREADS"));
        if (configured != null && !configured.isBlank()) {
            try {
                int n = Integer.parseInt(configured.trim());
                if (n >= 1 && n <= MAX_THREADS) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the warning
            }
            System.err.println("minitron: ignoring thread count '" + configured + "' (expected an integer in [1, "
                    + MAX_THREADS + "])");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    public static int threads() {
        return threads;
    }

    /** Sets the pool size (>= 1); the old pool's workers finish their chunk, if any, and stop. */
    public static synchronized void setThreads(int n) {
        if (n < 1 || n > MAX_THREADS) {
            throw TensorException.of("Parallel.setThreads", "a thread count in [1, " + MAX_THREADS + "]", String.valueOf(n));
        }
        if (n == threads && pool != null) return;
        threads = n;
        Pool old = pool;
        pool = null;
        if (old != null) old.shutdown();
    }

    private static Pool pool() {
        Pool p = pool;
        if (p == null) {
            synchronized (Parallel.class) {
                p = pool;
                if (p == null) {
                    p = new Pool(threads);
                    pool = p;
                }
            }
        }
        return p;
    }

    /**
     * Runs body over [0, n) split into at most {@link #threads()} contiguous chunks of at least {@code grain}
     * items each: chunk c is [n c / chunks, n (c + 1) / chunks). Returns when every chunk is done; an exception in
     * any chunk is rethrown (after all chunks have ended).
     */
    public static void forRange(int n, int grain, RangeBody body) {
        int chunks = Math.min(threads, Math.max(1, n / Math.max(1, grain)));
        if (chunks <= 1 || n <= 1 || Pool.isInsideChunk()) {
            if (n > 0) body.run(0, n);
            return;
        }
        pool().run(n, Math.min(chunks, n), body);
    }

    /** One parallel loop, published to the workers as a whole (its fields never change once published). */
    private static final class Job {
        final RangeBody body;
        final int n;
        final int chunks;
        final Thread caller;
        /** Worker chunks not yet finished. */
        final AtomicInteger pending;
        volatile Throwable failure;
        volatile boolean callerParked;

        Job(RangeBody body, int n, int chunks, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunks = chunks;
            this.caller = caller;
            this.pending = new AtomicInteger(chunks - 1);
        }

        void runChunk(int c) {
            body.run((int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks));
        }
    }

    private static final class Pool {
        private final Worker[] workers;
        /** One job at a time; a nested call from the caller's own chunk sees the lock held and runs inline. */
        private final ReentrantLock lock = new ReentrantLock();
        private volatile Job current;
        private volatile boolean stopped;

        Pool(int threads) {
            workers = new Worker[threads - 1];
            for (int w = 0; w < workers.length; w++) {
                workers[w] = new Worker(this, w + 1);
                workers[w].start();
            }
        }

        /** True on a worker thread, and on a caller while it runs its chunk. */
        static boolean isInsideChunk() {
            Thread t = Thread.currentThread();
            if (t instanceof Worker) return true;
            Pool p = pool;
            return p != null && p.lock.isHeldByCurrentThread();
        }

        void run(int n, int chunks, RangeBody body) {
            lock.lock();
            try {
                Job job = new Job(body, n, chunks, Thread.currentThread());
                current = job;
                for (int c = 1; c < chunks; c++) workers[c - 1].wake();
                Throwable own = null;
                try {
                    job.runChunk(0);
                } catch (Throwable t) {
                    own = t;
                }
                awaitWorkers(job);
                Throwable failure = own != null ? own : job.failure;
                if (failure instanceof RuntimeException e) throw e;
                if (failure instanceof Error e) throw e;
                if (failure != null) throw new IllegalStateException(failure);
            } finally {
                lock.unlock();
            }
        }

        private static void awaitWorkers(Job job) {
            long start = System.nanoTime();
            while (job.pending.get() > 0) {
                long waited = System.nanoTime() - start;
                if (waited < HOT_SPIN_NANOS) {
                    Thread.onSpinWait();
                } else if (waited < SPIN_NANOS) {
                    Thread.yield();
                } else {
                    job.callerParked = true;                 // then re-check: the last worker reads this flag
                    if (job.pending.get() > 0) LockSupport.park(job);
                    job.callerParked = false;
                }
            }
        }

        void shutdown() {
            stopped = true;
            for (Worker w : workers) w.wake();
        }
    }

    /** Worker c runs chunk c of each job that has more than c chunks. */
    private static final class Worker extends Thread {
        private final Pool pool;
        private final int chunk;
        private volatile boolean parked;

        Worker(Pool pool, int chunk) {
            super("minitron-parallel-" + chunk);
            this.pool = pool;
            this.chunk = chunk;
            setDaemon(true);
        }

        void wake() {
            if (parked) LockSupport.unpark(this);
        }

        @Override
        public void run() {
            Job done = null;
            while (!pool.stopped) {
                Job job = awaitJob(done);
                if (job == null) continue;                  // stopped, or woken without a new job
                done = job;
                if (chunk >= job.chunks) continue;
                try {
                    job.runChunk(chunk);
                } catch (Throwable t) {
                    if (job.failure == null) job.failure = t;
                }
                if (job.pending.decrementAndGet() == 0 && job.callerParked) LockSupport.unpark(job.caller);
            }
        }

        /** The pool's current job once it differs from {@code done}; null when stopped or woken from a park. */
        private Job awaitJob(Job done) {
            long start = System.nanoTime();
            while (!pool.stopped) {
                Job job = pool.current;
                if (job != done) return job;
                long waited = System.nanoTime() - start;
                if (waited < HOT_SPIN_NANOS) {
                    Thread.onSpinWait();
                } else if (waited < SPIN_NANOS) {
                    Thread.yield();
                } else {
                    parked = true;                           // then re-check: a publisher reads this flag
                    if (pool.current == done && !pool.stopped) LockSupport.park(this);
                    parked = false;
                    return null;
                }
            }
            return null;
        }
    }
}

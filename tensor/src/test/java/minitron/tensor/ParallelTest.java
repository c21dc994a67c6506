package minitron.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pool's contract: exact chunking, every index once, exceptions rethrown, nesting inline, many callers. */
class ParallelTest {
    private static int savedThreads;

    @BeforeAll
    static void threeThreads() {
        savedThreads = Parallel.threads();
        Parallel.setThreads(3);
    }

    @AfterAll
    static void restore() {
        Parallel.setThreads(savedThreads);
    }

    @Test
    void chunksAreTheDocumentedContiguousRanges() {
        for (int n : new int[]{2, 3, 7, 100, 1001}) {
            for (int grain : new int[]{1, 5, 40}) {
                List<int[]> ranges = Collections.synchronizedList(new ArrayList<>());
                Parallel.forRange(n, grain, (start, end) -> ranges.add(new int[]{start, end}));
                int chunks = Math.min(Math.min(3, Math.max(1, n / grain)), n);
                assertEquals(chunks, ranges.size(), "n=" + n + " grain=" + grain);
                ranges.sort((a, b) -> Integer.compare(a[0], b[0]));
                for (int c = 0; c < chunks; c++) {
                    assertArrayEquals(new int[]{(int) ((long) n * c / chunks), (int) ((long) n * (c + 1) / chunks)},
                            ranges.get(c), "n=" + n + " grain=" + grain + " chunk " + c);
                }
            }
        }
    }

    @Test
    void everyIndexRunsExactlyOnceOverManyBackToBackCalls() {
        int n = 97;
        AtomicIntegerArray visits = new AtomicIntegerArray(n);
        int calls = 5000;
        for (int i = 0; i < calls; i++) {
            Parallel.forRange(n, 1, (start, end) -> {
                for (int j = start; j < end; j++) visits.incrementAndGet(j);
            });
        }
        for (int j = 0; j < n; j++) assertEquals(calls, visits.get(j), "index " + j);
    }

    @Test
    void workerThreadsRunChunks() {
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        for (int i = 0; i < 200 && seen.size() < 3; i++) {
            Parallel.forRange(3, 1, (start, end) -> seen.add(Thread.currentThread()));
        }
        assertEquals(3, seen.size(), "the caller and two workers: " + seen);
    }

    /** Idle longer than the spin time, the workers park; the next calls must wake them (and still use them). */
    @Test
    void workersParkedAfterIdlingStillRunChunks() throws InterruptedException {
        long idleMillis = 5 * Parallel.SPIN_NANOS / 1_000_000 + 5;
        for (int round = 0; round < 3; round++) {
            Thread.sleep(idleMillis);
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            AtomicIntegerArray visits = new AtomicIntegerArray(30);
            Parallel.forRange(30, 10, (start, end) -> {
                seen.add(Thread.currentThread());
                for (int j = start; j < end; j++) visits.incrementAndGet(j);
            });
            for (int j = 0; j < 30; j++) assertEquals(1, visits.get(j), "round " + round + " index " + j);
            assertEquals(3, seen.size(), "round " + round + ": the caller and both workers ran a chunk");
        }
    }

    @Test
    void anExceptionInAnyChunkIsRethrownAfterAllChunksEnd() {
        for (int failing = 0; failing < 3; failing++) {
            int bad = failing;
            AtomicIntegerArray finished = new AtomicIntegerArray(3);
            IllegalStateException e = assertThrows(IllegalStateException.class, () ->
                    Parallel.forRange(3, 1, (start, end) -> {
                        if (start == bad) throw new IllegalStateException("chunk " + bad);
                        finished.set(start, 1);
                    }));
            assertEquals("chunk " + bad, e.getMessage());
            for (int c = 0; c < 3; c++) {
                if (c != bad) assertEquals(1, finished.get(c), "chunk " + c + " ran to its end");
            }
        }
        // The pool still works afterwards.
        AtomicIntegerArray visits = new AtomicIntegerArray(10);
        Parallel.forRange(10, 1, (start, end) -> {
            for (int j = start; j < end; j++) visits.incrementAndGet(j);
        });
        for (int j = 0; j < 10; j++) assertEquals(1, visits.get(j));
    }

    @Test
    void errorsKeepTheirType() {
        AssertionError error = new AssertionError("from a worker");
        AssertionError thrown = assertThrows(AssertionError.class, () ->
                Parallel.forRange(3, 1, (start, end) -> {
                    if (start > 0) throw error;
                }));
        assertSame(error, thrown);
    }

    @Test
    void nestedCallsRunInlineOnTheChunksThread() {
        AtomicIntegerArray visits = new AtomicIntegerArray(30);
        Parallel.forRange(3, 1, (outerStart, outerEnd) -> {
            Thread outer = Thread.currentThread();
            Parallel.forRange(10, 1, (start, end) -> {
                assertSame(outer, Thread.currentThread(), "inner range on the outer chunk's thread");
                assertEquals(0, start);
                assertEquals(10, end);
                for (int j = start; j < end; j++) visits.incrementAndGet(outerStart * 10 + j);
            });
        });
        for (int j = 0; j < 30; j++) assertEquals(1, visits.get(j), "index " + j);
    }

    @Test
    void concurrentCallersEachGetTheirWholeRange() throws InterruptedException {
        int callers = 4, n = 50, rounds = 300;
        AtomicIntegerArray[] visits = new AtomicIntegerArray[callers];
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for (int c = 0; c < callers; c++) {
            AtomicIntegerArray mine = visits[c] = new AtomicIntegerArray(n);
            Thread t = new Thread(() -> {
                for (int r = 0; r < rounds; r++) {
                    Parallel.forRange(n, 1, (start, end) -> {
                        for (int j = start; j < end; j++) mine.incrementAndGet(j);
                    });
                }
            });
            t.setUncaughtExceptionHandler((thread, e) -> failures.add(e));
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) t.join();
        assertTrue(failures.isEmpty(), failures.toString());
        for (int c = 0; c < callers; c++) {
            for (int j = 0; j < n; j++) assertEquals(rounds, visits[c].get(j), "caller " + c + " index " + j);
        }
    }

    @Test
    void changingTheThreadCountTakesEffect() {
        try {
            Parallel.setThreads(2);
            List<int[]> ranges = Collections.synchronizedList(new ArrayList<>());
            Parallel.forRange(10, 1, (start, end) -> ranges.add(new int[]{start, end}));
            assertEquals(2, ranges.size());
            Parallel.setThreads(1);
            Thread caller = Thread.currentThread();
            Parallel.forRange(10, 1, (start, end) -> {
                assertSame(caller, Thread.currentThread());
                assertEquals(0, start);
                assertEquals(10, end);
            });
        } finally {
            Parallel.setThreads(3);
        }
    }

    @Test
    void threadCountsOutsideTheRangeAreRefusedAndKeepThePool() {
        Parallel.setThreads(3);
        for (int bad : new int[]{0, -1, Parallel.MAX_THREADS + 1, 100_000}) {
            TensorException e = assertThrows(TensorException.class, () -> Parallel.setThreads(bad));
            assertTrue(e.getMessage().contains("a thread count in [1, 1024]") && e.getMessage().contains(String.valueOf(bad)),
                    e.getMessage());
            assertEquals(3, Parallel.threads());
        }
    }
}

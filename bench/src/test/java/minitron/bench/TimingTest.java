package minitron.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TimingTest {

    @Test
    void unknownCpuReadingsStayUnknown() {
        assertEquals(-1, Timing.cpuBetween(-1, -1), "two unknown readings are not zero CPU time");
        assertEquals(-1, Timing.cpuBetween(-1, 5_000_000));
        assertEquals(-1, Timing.cpuBetween(5_000_000, -1));
        assertEquals(3_000_000, Timing.cpuBetween(2_000_000, 5_000_000));
        assertTrue(Double.isNaN(Timing.cpuPerWall(Timing.cpuBetween(-1, -1), 1_000_000_000L)));
    }

    @Test
    void cpuPerWallNeedsTwentyMilliseconds() {
        assertTrue(Double.isNaN(Timing.cpuPerWall(10_000_000, Timing.MIN_CPU_WALL_NANOS - 1)));
        assertEquals(1.5, Timing.cpuPerWall(30_000_000, 20_000_000), 1e-12);
        assertEquals("n/a, too short to measure (or no thread CPU clock)", Timing.cpuPerWallText(Double.NaN));
        assertEquals("1.50", Timing.cpuPerWallText(1.5));
    }

    @Test
    void threadsCpuClockMovesWithWork() {
        long before = Timing.threadsCpuNanos();
        double sink = 0;
        long end = System.nanoTime() + 30_000_000;
        while (System.nanoTime() < end) sink += Math.sqrt(sink + 1);
        long spent = Timing.cpuBetween(before, Timing.threadsCpuNanos());
        assertTrue(sink > 0);
        assertTrue(spent > 0, "30 ms of spinning showed " + spent + " ns of thread CPU time");
    }

    @Test
    void medianIgnoresUnknownValues() {
        assertEquals(2.0, Timing.medianOfKnown(new double[]{Double.NaN, 3, 1, 2, Double.NaN}), 0);
        assertTrue(Double.isNaN(Timing.medianOfKnown(new double[]{Double.NaN})));
        assertEquals(2.5, Timing.median(new double[]{4, 1, 2, 3}), 0);
    }
}

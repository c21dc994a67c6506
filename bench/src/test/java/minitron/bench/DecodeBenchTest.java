package minitron.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class DecodeBenchTest {
    /** The checkpoint's size in the report: the bundled teacher's 9.4 MB had read "0.00 GB". */
    @Test
    void checkpointSizesAreReadableFromKilobytesToGigabytes() {
        Locale previous = Locale.getDefault();
        Locale.setDefault(Locale.ROOT);
        try {
            assertEquals("9.4 MB", DecodeBench.Result.size(9_437_184));
            assertEquals("0.0 MB", DecodeBench.Result.size(1_000));
            assertEquals("999.9 MB", DecodeBench.Result.size(999_900_000));
            assertEquals("2.47 GB", DecodeBench.Result.size(2_471_803_392L));
        } finally {
            Locale.setDefault(previous);
        }
    }
}

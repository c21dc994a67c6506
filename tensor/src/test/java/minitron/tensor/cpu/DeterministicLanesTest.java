package minitron.tensor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** exp and lane sums that give the same bits interpreted and compiled, checked against StrictMath. */
class DeterministicLanesTest {
    /** The polynomial exp: Taylor to r^7 (< 0.1 ulp) plus ~10 float roundings; measured max 1 ulp, allowed 2. */
    private static final int EXP_MAX_ULPS = 2;

    private static float[] exp(float[] x) {
        float[] out = new float[x.length];
        int l = VectorBackend.F.length();
        for (int i = 0; i < x.length; i += l) {
            DeterministicLanes.exp(FloatVector.fromArray(VectorBackend.F, x, i)).intoArray(out, i);
        }
        return out;
    }

    @Test
    void expIsWithinTwoUlpsOfStrictMathOverTheWholeRange() {
        int l = VectorBackend.F.length();
        int n = 200_000 / l * l;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -110f + 205f * i / n;  // [-110, 95): 0, subnormals, normals, overflow
        float[] got = exp(x);
        int worst = 0;
        for (int i = 0; i < n; i++) {
            float want = (float) StrictMath.exp(x[i]);
            // the raw bits of positive floats (subnormal, normal, +inf) count up in steps of one ulp
            int ulps = Math.abs(Float.floatToRawIntBits(got[i]) - Float.floatToRawIntBits(want));
            worst = Math.max(worst, ulps);
            assertTrue(ulps <= EXP_MAX_ULPS, "exp(" + x[i] + "): expected " + want + ", found " + got[i]);
        }
        System.out.println("DeterministicLanes.exp: max " + worst + " ulp vs StrictMath.exp over [-110, 95]");
    }

    @Test
    void expSpecialValues() {
        float[] specials = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.NaN, 0f, -0f, -104f, 100f, 1f,
            -100f, 88.7228f, -103.9f, 88.73f};
        int l = VectorBackend.F.length();
        float[] x = new float[(specials.length + l - 1) / l * l];           // every special, whatever the lane count
        System.arraycopy(specials, 0, x, 0, specials.length);
        float[] got = exp(x);
        for (int i = 0; i < specials.length; i++) {
            float want = (float) StrictMath.exp(x[i]);
            if (want < Float.MIN_NORMAL) { // 0 or a subnormal: at most two of its steps away
                assertEquals(want, got[i], 2 * Float.MIN_VALUE, "exp(" + x[i] + ")");
            } else if (Float.isNaN(want) || Float.isInfinite(want)) {
                assertEquals(want, got[i], "exp(" + x[i] + ")");
            } else {
                assertEquals(want, got[i], EXP_MAX_ULPS * Math.ulp(want), "exp(" + x[i] + ")");
            }
        }
    }

    /**
     * treeSum folds the upper half onto the lower half until one lane is left: lane i + n is added to lane i for
     * n = L/2, L/4, ... 1. The scalar tree below is that order; magnitudes 1e-3 to 1e6 make another order round
     * differently. Repeated so that the same call runs interpreted and then compiled (GEMV dot products use it).
     */
    @Test
    void treeSumFoldsHalvesAndRepeatsItsBits() {
        int l = VectorBackend.F.length();
        float[] x = new float[l];
        for (int i = 0; i < l; i++) x[i] = (float) (Math.pow(-2.9, i) * 1e-3 * (i + 1) + 1.0 / (i + 3));
        float[] tree = x.clone();
        for (int n = l / 2; n >= 1; n /= 2) {
            for (int i = 0; i < n; i++) tree[i] = tree[i] + tree[i + n];
        }
        FloatVector v = FloatVector.fromArray(VectorBackend.F, x, 0);
        for (int rep = 0; rep < 20_000; rep++) {
            assertEquals(Float.floatToRawIntBits(tree[0]), Float.floatToRawIntBits(DeterministicLanes.treeSum(v)));
        }
    }

    @Test
    void sumAddsTheLanesLeftToRightAndRepeatsItsBits() {
        int l = VectorBackend.F.length();
        float[] x = new float[l];
        for (int i = 0; i < l; i++) x[i] = (float) Math.pow(-1.37, i) * 1e-3f * (i + 1);
        float leftToRight = 0f;
        for (float v : x) leftToRight += v;
        FloatVector v = FloatVector.fromArray(VectorBackend.F, x, 0);
        for (int rep = 0; rep < 20_000; rep++) {           // interpreted, then compiled: the same bits
            assertEquals(Float.floatToRawIntBits(leftToRight), Float.floatToRawIntBits(DeterministicLanes.sum(v)));
        }
    }

    @Test
    void expRepeatsItsBitsWhenCompiled() {
        int l = VectorBackend.F.length();
        float[] x = new float[64 * l];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i) * 20f;
        float[] first = exp(x);
        for (int rep = 0; rep < 5_000; rep++) {
            float[] now = exp(x);
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(now[i]) != Float.floatToRawIntBits(first[i])) {
                    throw new AssertionError("call " + rep + ": exp(" + x[i] + ") " + now[i] + ", first call " + first[i]);
                }
            }
        }
    }
}

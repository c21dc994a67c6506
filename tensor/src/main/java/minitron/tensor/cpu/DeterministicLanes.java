package minitron.tensor.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp and lane sums built only from exactly rounded lane-wise operations (add, mul, fma, min, max, compare, integer
 * shift), so that they give the same bits whether the Vector API runs intrinsified (C2) or in its Java fallback
 * (interpreter, C1, or a method C2 did not inline).
 *
 * <p>Why: {@code lanewise(EXP)} is SVML's exp when intrinsified and {@code Math.exp} per lane in the fallback, and
 * {@code reduceLanes(ADD)} adds the lanes in a tree when intrinsified and left to right in the fallback; both
 * differ in the last bit, so the same training step gave different bits depending on the JIT's state (measured:
 * 19,102 of 20,000 repeated calls of {@code lanewise(EXP)} on 4096 floats differed from the first, interpreted,
 * call). Training runs and their resumes need the same bits (docs/train.md).
 */
final class DeterministicLanes {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private static final int L = F.length();
    /**
     * Rotations that fold the lanes onto themselves: FOLD_n moves lane (i + n) mod L to lane i, so that adding
     * it halves the number of distinct partial sums (n = L/2, then L/4, ... 1; null where n >= L, unused). After
     * all of them lane 0 holds a fixed tree of exactly rounded additions over the lanes. Constants in fields of
     * their own, not an array, so that C2 sees each shuffle as a constant (from an array, decode GEMVs ran
     * 10-19% slower than with reduceLanes).
     */
    private static final VectorShuffle<Float> FOLD_16 = fold(16), FOLD_8 = fold(8), FOLD_4 = fold(4);
    private static final VectorShuffle<Float> FOLD_2 = fold(2), FOLD_1 = fold(1);

    private DeterministicLanes() {
    }

    private static VectorShuffle<Float> fold(int n) {
        return n < L ? VectorShuffle.fromOp(F, i -> (i + n) % L) : null;
    }

    /**
     * The sum of v's lanes by the fixed tree of the folds: as fast as {@code reduceLanes(ADD)} compiled (the
     * same shuffle-and-add steps) and the same bits on every execution path. For hot loops (dot products);
     * {@link #sum(FloatVector)} adds left to right.
     */
    static float treeSum(FloatVector v) {
        if (L > 32) return sum(v); // vectors wider than 1024 bits: left to right
        if (L > 16) v = v.add(v.rearrange(FOLD_16));
        if (L > 8) v = v.add(v.rearrange(FOLD_8));
        if (L > 4) v = v.add(v.rearrange(FOLD_4));
        if (L > 2) v = v.add(v.rearrange(FOLD_2));
        if (L > 1) v = v.add(v.rearrange(FOLD_1));
        return v.lane(0);
    }

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split into a part with trailing zero bits (so n * LN2_HI is exact for |n| < 2^8) and the rest. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude < 2^22 to the nearest integer. */
    private static final float ROUNDER = 12582912f;
    /**
     * Where the arguments are clamped: above 89, e^x overflows float (ln of the largest float is 88.7228, and
     * between the two the product with 2^n overflows by itself); below -104 it is under half the smallest
     * subnormal (e^-103.97), so 0. Between -103.97 and -87.34 the result is subnormal, rounded once.
     */
    private static final float MAX_ARG = 89f;
    private static final float MIN_ARG = -104f;

    /**
     * e^x per lane: x = n ln2 + r with n = round(x / ln2), |r| <= ln2 / 2 (Cody-Waite, ln2 in two parts);
     * e^r by its Taylor polynomial to r^7 (truncation error r^8 / 8! < 6e-9 relative, under 0.1 ulp); times 2^n
     * built in the exponent bits. Above 89: +inf; below -104 (including -inf): 0; NaN stays NaN.
     * Accuracy: within 2 ulp of the exact value (float rounding of ~10 fma steps).
     */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.lt(MIN_ARG);
        VectorMask<Float> over = x.compare(VectorOperators.GT, MAX_ARG);
        FloatVector xc = x.max(MIN_ARG).min(MAX_ARG);                            // NaN propagates through both
        FloatVector n = xc.mul(LOG2E).add(ROUNDER).sub(ROUNDER);                 // round(x / ln2)
        FloatVector r = n.fma(n.broadcast(-LN2_HI), xc);                         // x - n * ln2_hi, exact
        r = n.fma(n.broadcast(-LN2_LO), r);                                      // - n * ln2_lo
        FloatVector p = r.broadcast(1f / 5040f);                                 // Horner: 1 + r + r^2/2 + ... + r^7/7!
        p = p.fma(r, r.broadcast(1f / 720f));
        p = p.fma(r, r.broadcast(1f / 120f));
        p = p.fma(r, r.broadcast(1f / 24f));
        p = p.fma(r, r.broadcast(1f / 6f));
        p = p.fma(r, r.broadcast(0.5f));
        p = p.fma(r, r.broadcast(1f));
        p = p.fma(r, r.broadcast(1f));
        // 2^n: n in [-150, 128]; split as 2^(n/2) * 2^(n - n/2), two normal floats, so that n = 128 does not
        // overflow and n < -126 gives a subnormal by the last product alone (one rounding).
        IntVector ni = (IntVector) n.convert(VectorOperators.F2I, 0);
        IntVector half = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ni.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector out = p.mul(s1).mul(s2);
        out = out.blend(0f, under);
        return out.blend(Float.POSITIVE_INFINITY, over);
    }

    /**
     * The sum of lanes[0, n) added left to right: {@link #sum(FloatVector)} of a vector stored with intoArray, for
     * hot loops that must not pass a vector to a method C2 may not inline (the vector would be boxed).
     */
    static float sum(float[] lanes) {
        float s = 0f;
        for (float lane : lanes) s += lane;
        return s;
    }

    /** The sum of the lanes, added left to right (lane 0 first): the same order on every execution path. */
    static float sum(FloatVector v) {
        return sum(v.toArray()); // one vector store; lane(i) with a variable i takes the Vector API's slow path
    }
}

package minitron.tensor.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import minitron.tensor.DType;
import minitron.tensor.Half;
import minitron.tensor.Parallel;
import minitron.tensor.Tensor;

/**
 * Packed, cache-blocked, register-tiled F32 matrix multiply with the Vector API (the GotoBLAS/BLIS scheme).
 *
 * <p>Shape legend: B batch (all leading dims flattened), M rows of a and out, K the contracted axis, N columns
 * of b and out. Contract (that of {@link minitron.tensor.Backend#matmul}): a (B, M, K) F32 with any strides,
 * b (B, K, N) F32, BF16 or F16 with any strides (batch strides may be 0), out (B, M, N) F32 contiguous on the heap.
 *
 * <p>Blocking, outermost first, for one task (a batch and a rectangle of out):
 * <pre>
 *   for pc in K step KC:                      b block (KC, NC) packed once, lives in L2
 *     for jc in N step NC:
 *       pack b[pc:pc+KC, jc:jc+NC] into NR-column panels, widening BF16/F16 to F32
 *       for ir in M step MR:                  a micro-panel (MR, KC), lives in L1
 *         pack a[ir:ir+MR, pc:pc+KC] (a row-major or transposed heap a is read in place instead)
 *         for jr in NC step NR:
 *           out[ir:ir+MR, jc+jr:jc+jr+NR] (+)= a micro-panel @ b panel   (micro-kernel, registers)
 * </pre>
 * The micro-kernel keeps an MR x NR tile of out in MR * NRV vector registers (6 x 4 = 24 of AVX-512's 32): per
 * step of K it loads NRV vectors of the b panel, broadcasts MR scalars of the a panel and issues MR * NRV FMAs.
 * Tiles at the right and bottom edges are computed into a scratch tile (the panels are zero padded) and the valid
 * part is added to out.
 *
 * <p>Work is split over batches and rectangles of out, claimed dynamically by the threads of {@link Parallel}'s
 * pool (a few tasks per thread, so a thread slowed by another process takes fewer); each thread owns its packing
 * buffers (a ThreadLocal), so a call allocates nothing once warm. Rows of a few (M <= {@link Gemv#MAX_ROWS}, the
 * decode case) go to {@link Gemv}, which streams b without packing.
 */
public final class Gemm {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int L = F.length();

    /** Rows of the register tile. */
    static final int MR = 6;
    /** Vectors per row of the register tile; NR = NRV * lanes columns. */
    static final int NRV = 4;
    static final int NR = NRV * L;
    /**
     * K block: an (MR, KC) a panel (12 KB) stays in L1 while it sweeps the b block; the out tile is loaded and
     * stored once per K block. N block: the packed (KC, NC) b block (512 KB) stays in the 1 MB L2. KC = 512,
     * NC = 256 measured best among KC 192..768 x NC 256..1024 on Zen 5 (n = 1024 and 2048, one thread, CPU time).
     * System properties minitron.gemm.kc / minitron.gemm.nc override them for tuning on other machines.
     */
    static final int KC = Integer.getInteger("minitron.gemm.kc", 512);
    /** A multiple of NR. */
    static final int NC = roundUp(Integer.getInteger("minitron.gemm.nc", 256), NR);

    /** Tasks per thread when splitting the output (dynamic claiming balances threads slowed by other processes). */
    static final int TASKS_PER_THREAD = 4;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private Gemm() {
    }

    /** Per-thread packing buffers, reused across calls. */
    private static final class Scratch {
        final float[] packedB = new float[KC * NC];
        final float[] packedA = new float[MR * KC];
        final float[] tile = new float[MR * NR];
        /** One run of elements (a row or column piece) read from a or b before it is scattered into a panel. */
        final float[] run = new float[Math.max(KC, NC)];
        final short[] runShorts = new short[Math.max(KC, NC)];
        /** A square tile of W for {@link PanelTranspose} (the even values of BF16 pairs), and the odd values. */
        final float[] tileEven = new float[PanelTranspose.BLOCK * PanelTranspose.BLOCK];
        final float[] tileOdd = new float[PanelTranspose.BLOCK * PanelTranspose.BLOCK];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** True when {@link #matmul} handles these operands (F32 out on the heap, F32 a, F32/BF16/F16 b). */
    public static boolean supports(Tensor a, Tensor b, Tensor out) {
        return out.dtype() == DType.F32 && a.dtype() == DType.F32 && out.heapFloats() != null && out.isContiguous()
                && (b.dtype() == DType.F32 || b.dtype().isHalf());
    }

    /** out (B, M, N) = a (B, M, K) @ b (B, K, N); see the class comment for the contract. */
    public static void matmul(Tensor a, Tensor b, Tensor out) {
        int m = a.dim(-2), k = a.dim(-1), n = b.dim(-1);
        int batches = (int) (out.numel() / Math.max(1L, (long) m * n));
        if (m == 0 || n == 0) return;
        float[] c = out.heapFloats();
        if (k == 0) {
            Arrays.fill(c, (int) out.offset(), (int) (out.offset() + out.numel()), 0f);
            return;
        }
        if (m <= Gemv.MAX_ROWS && Gemv.supports(b, m)) {
            Gemv.matmul(a, b, out, batches);
            return;
        }
        // Split out into batches x mBlocks x nBlocks tasks, TASKS_PER_THREAD per thread when the sizes allow:
        // N blocks of NC first (a task packs only its share of b), then M (a panel of a then still serves a whole
        // N block), then narrower N blocks. Threads claim tasks from a shared counter, so a thread that shares its
        // core with another process simply does fewer of them.
        int threads = poolThreadsFor(a, b);
        int wanted = threads == 1 ? 1 : threads * TASKS_PER_THREAD;
        int nBlocks = ceilDiv(n, NC), mBlocks = 1;
        while ((long) batches * nBlocks * mBlocks < wanted) {
            if (m / (mBlocks + 1) >= 8 * MR) {
                mBlocks++;
            } else if (n / (nBlocks + 1) >= 2 * NR) {
                nBlocks++;
            } else {
                break;
            }
        }
        int nChunk = roundUp(ceilDiv(n, nBlocks), NR);
        int mChunk = roundUp(ceilDiv(m, mBlocks), MR);
        int nTasks = ceilDiv(n, nChunk), mTasks = ceilDiv(m, mChunk);
        int tasks = batches * mTasks * nTasks;
        int cStart = (int) out.offset();
        AtomicInteger next = new AtomicInteger();
        Parallel.forRange(Math.min(threads, tasks), 1, (first, last) -> {
            Scratch s = SCRATCH.get();
            for (int t = next.getAndIncrement(); t < tasks; t = next.getAndIncrement()) {
                int batch = t / (mTasks * nTasks);
                int rest = t % (mTasks * nTasks);
                int m0 = (rest / nTasks) * mChunk, n0 = (rest % nTasks) * nChunk;
                block(a, b, c, cStart, batch, m, k, n, m0, Math.min(m, m0 + mChunk), n0, Math.min(n, n0 + nChunk), s);
            }
        });
    }

    /** out[batch, m0:m1, n0:n1] = a[batch, m0:m1, :] @ b[batch, :, n0:n1]. */
    private static void block(Tensor a, Tensor b, float[] c, int cStart, int batch, int m, int k, int n,
                              int m0, int m1, int n0, int n1, Scratch s) {
        long aBase = batchBase(a, batch), bBase = batchBase(b, batch);
        int cBase = cStart + (int) (batch * (long) m * n);
        long lda = a.stride(-2);
        float[] aHeap = a.stride(-1) == 1 && lda >= 0 ? heapArray(a) : null;
        // A transposed heap a (g^T in a weight gradient g^T @ x): full panels are read in place too.
        float[] aTransposedHeap = a.stride(-2) == 1 && a.stride(-1) > 1 ? heapArray(a) : null;
        for (int pc = 0; pc < k; pc += KC) {
            int kc = Math.min(KC, k - pc);
            boolean accumulate = pc > 0;
            for (int jc = n0; jc < n1; jc += NC) {
                int nc = Math.min(NC, n1 - jc);
                packB(b, bBase, pc, kc, jc, nc, s);
                for (int ir = m0; ir < m1; ir += MR) {
                    int mr = Math.min(MR, m1 - ir);
                    // A full panel of a row-major heap a is read in place (element (r, p) at aOff + r*lda + p),
                    // and so is one of a transposed heap a (element (r, p) at aOff + r + p*sk): packing it cost
                    // a 6-float readRun per step of K, more than the kernel's work (dW = g^T @ x ran at 87-135
                    // GFLOPS, one thread, against 210 for x @ W^T and g @ W; in place: 173-208). Anything else
                    // is packed into s.packedA (element (r, p) at p*MR + r).
                    float[] aArray;
                    int aOff, aRowStride, aColStride;
                    if (aHeap != null && mr == MR) {
                        aArray = aHeap;
                        aOff = (int) (aBase + ir * lda + pc);
                        aRowStride = (int) lda;
                        aColStride = 1;
                    } else if (aTransposedHeap != null && mr == MR) {
                        aArray = aTransposedHeap;
                        aOff = (int) (aBase + ir + pc * a.stride(-1));
                        aRowStride = 1;
                        aColStride = (int) a.stride(-1);
                    } else {
                        packA(a, aBase, ir, mr, pc, kc, s);
                        aArray = s.packedA;
                        aOff = 0;
                        aRowStride = 1;
                        aColStride = MR;
                    }
                    for (int jr = 0; jr < nc; jr += NR) {
                        int nr = Math.min(NR, nc - jr);
                        int panel = (jr / NR) * kc * NR;
                        int cOff = cBase + ir * n + jc + jr;
                        if (mr == MR && nr == NR) {
                            kernel(kc, aArray, aOff, aRowStride, aColStride, s.packedB, panel, c, cOff, n, accumulate);
                        } else {
                            kernel(kc, aArray, aOff, aRowStride, aColStride, s.packedB, panel, s.tile, 0, NR, false);
                            for (int r = 0; r < mr; r++) {
                                for (int q = 0; q < nr; q++) {
                                    int at = cOff + r * n + q;
                                    c[at] = (accumulate ? c[at] : 0f) + s.tile[r * NR + q];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * The micro-kernel: c[cOff + r*ldc + j] (+)= sum_p a(r, p) * bp[panel + p*NR + j] for r < MR, j < NR, p < kc,
     * with a(r, p) = ap[aOff + r*rs + p*ps] (a packed panel: rs = 1, ps = MR; a row-major a in place: rs = lda,
     * ps = 1; a transposed a in place: rs = 1, ps = its column stride). 24 accumulators c{row}{vector}; one
     * broadcast of a per row and NRV loads of b per step of K.
     */
    static void kernel(int kc, float[] ap, int aOff, int rs, int ps, float[] bp, int panel, float[] c, int cOff,
                       int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
        FloatVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        for (int p = 0; p < kc; p++) {
            int bi = panel + p * NR;
            FloatVector b0 = FloatVector.fromArray(F, bp, bi);
            FloatVector b1 = FloatVector.fromArray(F, bp, bi + L);
            FloatVector b2 = FloatVector.fromArray(F, bp, bi + 2 * L);
            FloatVector b3 = FloatVector.fromArray(F, bp, bi + 3 * L);
            int ai = aOff + p * ps;
            FloatVector a0 = FloatVector.broadcast(F, ap[ai]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            c03 = a0.fma(b3, c03);
            FloatVector a1 = FloatVector.broadcast(F, ap[ai + 1 * rs]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            c12 = a1.fma(b2, c12);
            c13 = a1.fma(b3, c13);
            FloatVector a2 = FloatVector.broadcast(F, ap[ai + 2 * rs]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            c22 = a2.fma(b2, c22);
            c23 = a2.fma(b3, c23);
            FloatVector a3 = FloatVector.broadcast(F, ap[ai + 3 * rs]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            c32 = a3.fma(b2, c32);
            c33 = a3.fma(b3, c33);
            FloatVector a4 = FloatVector.broadcast(F, ap[ai + 4 * rs]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            c42 = a4.fma(b2, c42);
            c43 = a4.fma(b3, c43);
            FloatVector a5 = FloatVector.broadcast(F, ap[ai + 5 * rs]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            c52 = a5.fma(b2, c52);
            c53 = a5.fma(b3, c53);
        }
        // The stores are written out here: a helper taking the vectors would not be inlined (the method is
        // large) and the 24 vectors would be boxed on the heap.
        if (accumulate) {
            c00 = c00.add(FloatVector.fromArray(F, c, cOff));
            c01 = c01.add(FloatVector.fromArray(F, c, cOff + L));
            c02 = c02.add(FloatVector.fromArray(F, c, cOff + 2 * L));
            c03 = c03.add(FloatVector.fromArray(F, c, cOff + 3 * L));
            c10 = c10.add(FloatVector.fromArray(F, c, cOff + ldc));
            c11 = c11.add(FloatVector.fromArray(F, c, cOff + ldc + L));
            c12 = c12.add(FloatVector.fromArray(F, c, cOff + ldc + 2 * L));
            c13 = c13.add(FloatVector.fromArray(F, c, cOff + ldc + 3 * L));
            c20 = c20.add(FloatVector.fromArray(F, c, cOff + 2 * ldc));
            c21 = c21.add(FloatVector.fromArray(F, c, cOff + 2 * ldc + L));
            c22 = c22.add(FloatVector.fromArray(F, c, cOff + 2 * ldc + 2 * L));
            c23 = c23.add(FloatVector.fromArray(F, c, cOff + 2 * ldc + 3 * L));
            c30 = c30.add(FloatVector.fromArray(F, c, cOff + 3 * ldc));
            c31 = c31.add(FloatVector.fromArray(F, c, cOff + 3 * ldc + L));
            c32 = c32.add(FloatVector.fromArray(F, c, cOff + 3 * ldc + 2 * L));
            c33 = c33.add(FloatVector.fromArray(F, c, cOff + 3 * ldc + 3 * L));
            c40 = c40.add(FloatVector.fromArray(F, c, cOff + 4 * ldc));
            c41 = c41.add(FloatVector.fromArray(F, c, cOff + 4 * ldc + L));
            c42 = c42.add(FloatVector.fromArray(F, c, cOff + 4 * ldc + 2 * L));
            c43 = c43.add(FloatVector.fromArray(F, c, cOff + 4 * ldc + 3 * L));
            c50 = c50.add(FloatVector.fromArray(F, c, cOff + 5 * ldc));
            c51 = c51.add(FloatVector.fromArray(F, c, cOff + 5 * ldc + L));
            c52 = c52.add(FloatVector.fromArray(F, c, cOff + 5 * ldc + 2 * L));
            c53 = c53.add(FloatVector.fromArray(F, c, cOff + 5 * ldc + 3 * L));
        }
        c00.intoArray(c, cOff);
        c01.intoArray(c, cOff + L);
        c02.intoArray(c, cOff + 2 * L);
        c03.intoArray(c, cOff + 3 * L);
        c10.intoArray(c, cOff + ldc);
        c11.intoArray(c, cOff + ldc + L);
        c12.intoArray(c, cOff + ldc + 2 * L);
        c13.intoArray(c, cOff + ldc + 3 * L);
        c20.intoArray(c, cOff + 2 * ldc);
        c21.intoArray(c, cOff + 2 * ldc + L);
        c22.intoArray(c, cOff + 2 * ldc + 2 * L);
        c23.intoArray(c, cOff + 2 * ldc + 3 * L);
        c30.intoArray(c, cOff + 3 * ldc);
        c31.intoArray(c, cOff + 3 * ldc + L);
        c32.intoArray(c, cOff + 3 * ldc + 2 * L);
        c33.intoArray(c, cOff + 3 * ldc + 3 * L);
        c40.intoArray(c, cOff + 4 * ldc);
        c41.intoArray(c, cOff + 4 * ldc + L);
        c42.intoArray(c, cOff + 4 * ldc + 2 * L);
        c43.intoArray(c, cOff + 4 * ldc + 3 * L);
        c50.intoArray(c, cOff + 5 * ldc);
        c51.intoArray(c, cOff + 5 * ldc + L);
        c52.intoArray(c, cOff + 5 * ldc + 2 * L);
        c53.intoArray(c, cOff + 5 * ldc + 3 * L);
    }

    // ------------------------------------------------------------------ packing

    /**
     * Packs b[pc:pc+kc, jc:jc+nc] into s.packedB as NR-column panels: panel q holds, for p < kc, the NR values
     * b[pc+p, jc+q*NR : jc+q*NR+NR] at q*kc*NR + p*NR, zero past column nc.
     */
    private static void packB(Tensor b, long bBase, int pc, int kc, int jc, int nc, Scratch s) {
        long sk = b.stride(-2), sn = b.stride(-1);
        float[] packed = s.packedB, run = s.run;
        int panels = ceilDiv(nc, NR);
        if (nc % NR != 0) {
            // Zero the padding columns of the last panel (the kernel reads them; their products are discarded).
            int last = (panels - 1) * kc * NR;
            int valid = nc - (panels - 1) * NR;
            for (int p = 0; p < kc; p++) Arrays.fill(packed, last + p * NR + valid, last + p * NR + NR, 0f);
        }
        if (sn == 1 || sk != 1 && Math.abs(sn) <= Math.abs(sk)) {
            // Row-major b (the usual activation / a weight stored (in, out)): read rows of nc values.
            for (int p = 0; p < kc; p++) {
                readRun(b, bBase + (pc + p) * sk + jc * sn, sn, nc, run, s.runShorts);
                for (int q = 0; q < panels; q++) {
                    int width = Math.min(NR, nc - q * NR);
                    System.arraycopy(run, q * NR, packed, q * kc * NR + p * NR, width);
                }
            }
        } else {
            // Column-major b (an HF (out, in) weight seen as W^T): groups of 16 (8 with AVX2) columns (rows of W)
            // are transposed in registers, a square block at a time; the rest read kc values down each column and
            // scatter them.
            int transposed = 0;
            if (sk == 1 && sn > 0 && PanelTranspose.applies(b.dtype())) {
                transposed = nc / PanelTranspose.BLOCK * PanelTranspose.BLOCK;
                packTransposed(b, bBase + pc + jc * sn, sn, kc, transposed, s);
            }
            for (int j = transposed; j < nc; j++) {
                readRun(b, bBase + pc * sk + (jc + j) * sn, sk, kc, run, s.runShorts);
                int dst = (j / NR) * kc * NR + j % NR;
                for (int p = 0; p < kc; p++) packed[dst + p * NR] = run[p];
            }
        }
    }

    /**
     * The column-major case of {@link #packB} for the first {@code columns} columns (a multiple of the block) of a
     * b whose columns are contiguous (W rows): element (p, j) at element offset {@code base + p + j * sn}.
     */
    private static void packTransposed(Tensor b, long base, long sn, int kc, int columns, Scratch s) {
        float[] packed = s.packedB, even = s.tileEven, odd = s.tileOdd;
        int block = PanelTranspose.BLOCK, bytes = b.dtype().byteSize();
        boolean bf16 = b.dtype() == DType.BF16;
        int step = bf16 ? 2 * block : block; // values of a W row per vector
        int fullP = kc / step * step;
        MemorySegment seg = b.data();
        for (int j0 = 0; j0 < columns; j0 += block) {
            int dst = (j0 / NR) * kc * NR + j0 % NR;
            long row = base + j0 * sn;
            for (int p0 = 0; p0 < fullP; p0 += step) {
                long at = (row + p0) * bytes;
                int to = dst + p0 * NR;
                if (bf16) {
                    PanelTranspose.readBf16(seg, at, sn * bytes, even, odd);
                    PanelTranspose.block(even, packed, to, 2 * NR);
                    PanelTranspose.block(odd, packed, to + NR, 2 * NR);
                } else {
                    PanelTranspose.readF32(seg, at, sn * bytes, even);
                    PanelTranspose.block(even, packed, to, NR);
                }
            }
            if (fullP < kc) { // the last values of each of the 16 columns
                for (int j = j0; j < j0 + block; j++) {
                    readRun(b, base + fullP + j * sn, 1, kc - fullP, s.run, s.runShorts);
                    int at = (j / NR) * kc * NR + j % NR;
                    for (int p = fullP; p < kc; p++) packed[at + p * NR] = s.run[p - fullP];
                }
            }
        }
    }

    /** Packs a[ir:ir+mr, pc:pc+kc] into s.packedA: value (r, p) at p*MR + r, zero for rows r >= mr. */
    private static void packA(Tensor a, long aBase, int ir, int mr, int pc, int kc, Scratch s) {
        long sm = a.stride(-2), sk = a.stride(-1);
        float[] packed = s.packedA, run = s.run;
        if (mr < MR) Arrays.fill(packed, 0, MR * kc, 0f);
        if (sm == 1 && sk != 1) {
            // Transposed a: the mr values of one column are contiguous.
            for (int p = 0; p < kc; p++) {
                readRun(a, aBase + ir * sm + (pc + p) * sk, sm, mr, run, s.runShorts);
                System.arraycopy(run, 0, packed, p * MR, mr);
            }
        } else {
            for (int r = 0; r < mr; r++) {
                readRun(a, aBase + (ir + r) * sm + pc * sk, sk, kc, run, s.runShorts);
                for (int p = 0; p < kc; p++) packed[p * MR + r] = run[p];
            }
        }
    }

    /**
     * Reads count elements of t starting at element offset {@code start} with element stride {@code stride} into
     * dst[0:count] as F32, widening BF16/F16. Contiguous runs are bulk copies out of the segment.
     */
    static void readRun(Tensor t, long start, long stride, int count, float[] dst, short[] shorts) {
        MemorySegment seg = t.data();
        DType dtype = t.dtype();
        if (stride == 1 || count == 1) {
            if (dtype == DType.F32) {
                MemorySegment.copy(seg, F32, start * 4, dst, 0, count);
                return;
            }
            MemorySegment.copy(seg, I16, start * 2, shorts, 0, count);
            if (dtype == DType.BF16) {
                for (int i = 0; i < count; i++) dst[i] = Float.intBitsToFloat(shorts[i] << 16);
            } else {
                for (int i = 0; i < count; i++) dst[i] = Float.float16ToFloat(shorts[i]);
            }
            return;
        }
        switch (dtype) {
            case F32 -> {
                for (int i = 0; i < count; i++) dst[i] = seg.getAtIndex(F32, start + i * stride);
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) dst[i] = Half.bf16ToFloat(seg.getAtIndex(I16, start + i * stride));
            }
            case F16 -> {
                for (int i = 0; i < count; i++) dst[i] = Half.f16ToFloat(seg.getAtIndex(I16, start + i * stride));
            }
            default -> throw new IllegalArgumentException("Gemm.readRun: unsupported dtype " + dtype);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** A thread that owns nothing: a segment it may access is one the pool threads may access too. */
    private static final Thread NOT_THE_OWNER = new Thread(() -> { });

    /**
     * The threads a call may use: the pool size, or 1 (run on the caller) when an operand lives in a segment
     * confined to the calling thread (Arena.ofConfined), which the pool threads may not read. Memory-mapped weights
     * should use a shared or automatic arena to get all cores.
     */
    static int poolThreadsFor(Tensor a, Tensor b) {
        boolean shared = a.data().isAccessibleBy(NOT_THE_OWNER) && b.data().isAccessibleBy(NOT_THE_OWNER);
        return shared ? Parallel.threads() : 1;
    }

    /** The float[] behind a heap F32 tensor whose segment starts at the array's element 0, or null. */
    static float[] heapArray(Tensor t) {
        MemorySegment seg = t.data();
        if (t.dtype() != DType.F32 || seg.isNative() || seg.address() != 0) return null;
        return seg.heapBase().orElse(null) instanceof float[] array ? array : null;
    }

    /** Element offset of matrix {@code batch} (the leading axes flattened row-major) of a rank >= 2 tensor. */
    static long batchBase(Tensor t, long batch) {
        long off = t.offset();
        for (int axis = t.rank() - 3; axis >= 0; axis--) {
            int d = t.dim(axis);
            off += (batch % d) * t.stride(axis);
            batch /= d;
        }
        return off;
    }

    static int ceilDiv(int x, int y) {
        return (x + y - 1) / y;
    }

    static int roundUp(int x, int multiple) {
        return ceilDiv(x, multiple) * multiple;
    }
}

/*
 * What this machine's memory allows, measured in C beside our Java figures (docs/perf-gemm.md, "The ceiling").
 * Every round times, on T threads over a 256 MB buffer each time: a read-only AVX-512 sum, memcpy (counted as
 * read + write, STREAM's convention, as our copy probe), and a BF16 row GEMV written as our Java loop (a pair
 * of BF16 per int lane: << 16 and & 0xFFFF0000, two FMAs per 64 bytes, four accumulators). Each thread times
 * itself and a round's time runs from the earliest start to the latest end (timing from a third thread that the
 * scheduler can delay inflated our first figures up to 250 GB/s). Prints the medians over the rounds.
 * Build and run: gcc -O3 -march=native -pthread scripts/membw.c -o /tmp/membw && /tmp/membw [threads] [rounds]
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { READ, COPY, GEMV, KINDS };
static const char *NAMES[KINDS] = {"read-only sum", "memcpy (read + write)", "BF16 GEMV, K = 2048"};
static const size_t BYTES = 256ul << 20;
static const int K = 2048;
static char *src, *dst;
static float *xEven, *xOdd;
static int threads, kind;
static double starts[64], ends[64];
static volatile float sink;
static pthread_barrier_t go, done;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float readSum(const char *p, size_t n) {
    __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i < n; i += 256) {
        a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
        a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 64));
        a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 128));
        a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 192));
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

static float gemvRows(const char *p, size_t n) {
    const __m512i high = _mm512_set1_epi32((int) 0xFFFF0000);
    float total = 0;
    for (size_t row = 0; row < n / (2 * K); row++) {
        const char *w = p + row * 2 * K;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int at = 0; at < 2 * K; at += 128) {
            __m512i v = _mm512_load_si512(w + at), u = _mm512_load_si512(w + at + 64);
            int q = at / 4;
            a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(v, 16)), _mm512_load_ps(xEven + q), a0);
            a1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(v, high)), _mm512_load_ps(xOdd + q), a1);
            a2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(u, 16)), _mm512_load_ps(xEven + q + 16), a2);
            a3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(u, high)), _mm512_load_ps(xOdd + q + 16), a3);
        }
        total += _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    }
    return total;
}

static void *worker(void *arg) {
    long id = (long) arg;
    size_t part = BYTES / threads;
    for (;;) {
        pthread_barrier_wait(&go);
        if (kind < 0) return NULL;
        starts[id] = now();
        if (kind == READ) sink += readSum(src + id * part, part);
        else if (kind == COPY) memcpy(dst + id * part, src + id * part, part);
        else sink += gemvRows(src + id * part, part);
        ends[id] = now();
        pthread_barrier_wait(&done);
    }
}

static int byValue(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    threads = argc > 1 ? atoi(argv[1]) : 2;
    int rounds = argc > 2 ? atoi(argv[2]) : 30;
    if (threads < 1 || threads > 64 || rounds < 1) {
        fprintf(stderr, "usage: membw [threads 1-64] [rounds >= 1]\n");
        return 2;
    }
    src = aligned_alloc(4096, BYTES);
    dst = aligned_alloc(4096, BYTES);
    xEven = aligned_alloc(64, K * 2);
    xOdd = aligned_alloc(64, K * 2);
    unsigned long long s = 88172645463325252ull;
    for (size_t i = 0; i < BYTES; i += 8) { // random BF16 pairs of moderate exponent, as real weights
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        *(unsigned long long *) (src + i) = s & 0x3CFF3CFF3CFF3CFFull;
    }
    memset(dst, 1, BYTES);
    for (int i = 0; i < K / 2; i++) xEven[i] = xOdd[i] = 1.0f / (i + 1);
    pthread_barrier_init(&go, NULL, threads + 1);
    pthread_barrier_init(&done, NULL, threads + 1);
    pthread_t ids[64];
    for (long i = 0; i < threads; i++) pthread_create(&ids[i], NULL, worker, (void *) i);
    double *gbs[KINDS];
    for (int k = 0; k < KINDS; k++) gbs[k] = malloc(sizeof(double) * rounds);
    for (int r = 0; r < rounds; r++) {
        for (kind = 0; kind < KINDS; kind++) {
            pthread_barrier_wait(&go);
            pthread_barrier_wait(&done);
            double first = starts[0], last = ends[0];
            for (int i = 1; i < threads; i++) {
                if (starts[i] < first) first = starts[i];
                if (ends[i] > last) last = ends[i];
            }
            gbs[kind][r] = (kind == COPY ? 2.0 : 1.0) * BYTES / (last - first) / 1e9;
        }
    }
    kind = -1;
    pthread_barrier_wait(&go);
    for (int k = 0; k < KINDS; k++) qsort(gbs[k], rounds, sizeof(double), byValue);
    double copy = gbs[COPY][rounds / 2];
    printf("%d threads, medians of %d rounds over 256 MB:\n", threads, rounds);
    for (int k = 0; k < KINDS; k++) {
        double m = gbs[k][rounds / 2];
        printf("  %-22s %6.1f GB/s  (%.2f of the copy; range %.1f-%.1f)\n", NAMES[k], m, m / copy, gbs[k][0],
               gbs[k][rounds - 1]);
    }
    return 0;
}

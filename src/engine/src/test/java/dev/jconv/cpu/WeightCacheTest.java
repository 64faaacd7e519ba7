package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.backend.ConvPlan;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The weight-version cache: its snapshot in pieces, compared on the pool, is {@link Arrays#equals}, piece edges
 * included.
 */
class WeightCacheTest {
    private static final WorkerPool THREE = WorkerPool.of(3);
    /** No version: the weights are compared. */
    private static final long NONE = ConvPlan.UNVERSIONED;

    @Test
    void comparesInPiecesExactlyAsArraysEquals() {
        float[] a = new float[5 * WeightCache.PIECE + 17];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 977) * 0.25f - 3f;
        }
        assertTrue(WeightCache.equal(WeightCache.snapshot(a, THREE), a.clone(), THREE));
        int[] positions = {0, WeightCache.PIECE - 1, WeightCache.PIECE, 3 * WeightCache.PIECE + 5, a.length - 1};
        for (int at : positions) {
            float[] b = a.clone();
            b[at] = Math.nextUp(b[at]);
            assertFalse(WeightCache.equal(WeightCache.snapshot(a, THREE), b, THREE), "a difference at " + at);
            assertFalse(WeightCache.equal(WeightCache.snapshot(b, THREE), a, THREE), "a difference at " + at);
        }
        float[] zero = new float[a.length];
        float[] negativeZero = zero.clone();
        negativeZero[a.length / 2] = -0f;
        assertEquals(Arrays.equals(zero, negativeZero),
                WeightCache.equal(WeightCache.snapshot(zero, THREE), negativeZero, THREE), "-0 vs 0");
        float[] nan = zero.clone();
        nan[7] = Float.NaN;
        assertEquals(Arrays.equals(nan, nan.clone()),
                WeightCache.equal(WeightCache.snapshot(nan, THREE), nan.clone(), THREE), "NaN vs NaN");
        assertFalse(WeightCache.equal(WeightCache.snapshot(a, THREE), Arrays.copyOf(a, a.length - 1), THREE),
                "lengths differ");
        float[][] pieces = WeightCache.snapshot(a, THREE);
        assertEquals(6, pieces.length, "pieces of PIECE floats");
        assertEquals(17, pieces[5].length);
    }

    @Test
    void transformsOncePerWeightVersion() {
        AtomicInteger transforms = new AtomicInteger();
        WeightCache<float[]> cache = WeightCache.ofArrays(w -> {
            transforms.incrementAndGet();
            return w.clone();
        });
        float[] w = new float[3 * WeightCache.PIECE];
        Arrays.fill(w, 0.5f);
        float[] first = cache.get(w, NONE, THREE);
        assertSame(first, cache.get(w.clone(), NONE, THREE), "equal contents, another array: reused");
        w[2 * WeightCache.PIECE + 1] = 2f;
        float[] second = cache.get(w, NONE, THREE);
        assertNotSame(first, second, "changed in place: transformed again");
        assertEquals(2f, second[2 * WeightCache.PIECE + 1]);
        assertEquals(2, transforms.get());
        assertEquals(2L * Float.BYTES * w.length, cache.bytes(), "the snapshot and the result");
    }

    /**
     * A candidate version (used before its compare ends) is the version whose length and samples match; checked
     * part by part in any order, it is confirmed only if every piece is equal, and a confirmed older version becomes
     * the most recently used.
     */
    @Test
    void candidatesAreConfirmedOnlyWhenEveryPieceIsEqual() {
        WeightCache<float[]> cache = WeightCache.ofArrays(float[]::clone);
        float[] a = new float[5 * WeightCache.PIECE + 17];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 977) * 0.25f - 3f;
        }
        float[] b = a.clone();
        b[1] = 7f; // not a sampled position
        assertNull(cache.candidate(a, NONE), "nothing cached yet");
        float[] fromA = cache.get(a, NONE, THREE);
        float[] fromB = cache.get(b, NONE, THREE);
        WeightCache.Candidate<float[]> same = cache.candidate(a.clone(), NONE);
        assertSame(fromB, same.transformed(), "the newest version whose samples match: b's");
        for (int part : new int[] {2, 0, 1}) {
            same.check(part, 3);
        }
        assertFalse(cache.confirmed(same), "a differs from b at 1");
        int[] positions = {1, WeightCache.PIECE, 3 * WeightCache.PIECE + 5, a.length - 1};
        for (int at : positions) {
            float[] changed = a.clone();
            changed[at] = Math.nextUp(changed[at]);
            for (int parts : new int[] {1, 4, 7}) { // 7 parts for 6 pieces: one part has none
                WeightCache.Candidate<float[]> c = cache.candidate(changed, NONE);
                for (int part = 0; part < parts; part++) {
                    c.check(part, parts);
                }
                assertFalse(cache.confirmed(c), "a difference at " + at + ", " + parts + " parts");
            }
        }
        assertSame(fromA, cache.get(a, NONE, THREE), "a's version comes first again");
        WeightCache.Candidate<float[]> c = cache.candidate(b.clone(), NONE);
        assertSame(fromA, c.transformed(), "samples match a's version");
        for (int part = 0; part < 4; part++) {
            c.check(part, 4);
        }
        assertFalse(cache.confirmed(c));
        c = cache.candidate(a.clone(), NONE);
        for (int part = 0; part < 4; part++) {
            c.check(part, 4);
        }
        assertTrue(cache.confirmed(c), "equal everywhere");
        float[] sampledChange = a.clone();
        sampledChange[a.length / 2] += 1f;
        assertNull(cache.candidate(sampledChange, NONE),
                "a sampled position differs from every version");
    }

    /**
     * An array passed with a version is compared until a compare finds it equal to a version; from then on the same
     * array at the same version is used without a compare (shown by changing it behind the version's back, which
     * only a caller breaking the contract does), while another version, or none, compares again.
     */
    @Test
    void anArraySeenAtAVersionIsUsedWithoutACompare() {
        AtomicInteger transforms = new AtomicInteger();
        WeightCache<float[]> cache = WeightCache.ofArrays(w -> {
            transforms.incrementAndGet();
            return w.clone();
        });
        int unsampled = WeightCache.PIECE + 1;
        float[] w = new float[2 * WeightCache.PIECE + 5];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 613) * 0.5f - 7f;
        }
        float[] first = cache.get(w, 7, THREE);
        w[unsampled] = 42f;
        assertSame(first, cache.get(w, 7, THREE), "same array, same version: not compared");
        WeightCache.Candidate<float[]> seen = cache.candidate(w, 7);
        assertSame(first, seen.transformed());
        seen.check(0, 1);
        assertTrue(cache.confirmed(seen), "nothing to compare");
        assertEquals(42f, cache.get(w, NONE, THREE)[unsampled], "no version: compared");
        assertEquals(42f, cache.get(w, 8, THREE)[unsampled], "a new version: compared, equal to the newest");
        assertEquals(2, transforms.get());
        w[unsampled] = 43f;
        assertEquals(43f, cache.get(w, 9, THREE)[unsampled], "changed at a new version");
        float[] other = w.clone();
        WeightCache.Candidate<float[]> compared = cache.candidate(other, 1);
        compared.check(0, 1);
        assertTrue(cache.confirmed(compared), "equal to the newest version");
        other[unsampled] = -1f;
        assertEquals(43f, cache.get(other, 1, THREE)[unsampled], "confirmed at version 1: not compared after");
        assertEquals(-1f, cache.get(other, 2, THREE)[unsampled], "version 2: compared");
        assertEquals(4, transforms.get());
    }

    @Test
    void keepsSeveralVersionsForArraysThatTakeTurns() {
        AtomicInteger transforms = new AtomicInteger();
        WeightCache<float[]> cache = new WeightCache<>(w -> {
            transforms.incrementAndGet();
            return w.clone();
        }, t -> (long) Float.BYTES * t.length, () -> Long.MAX_VALUE);
        float[][] layers = new float[6][];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new float[2 * WeightCache.PIECE + 3];
            Arrays.fill(layers[l], l + 1f);
            layers[l][WeightCache.PIECE + 1] = -l; // differ from each other off the sampled positions too
        }
        for (int pass = 0; pass < 3; pass++) {
            for (float[] w : layers) {
                assertEquals(w[5], cache.get(w, NONE, THREE)[5], "the version of these weights");
            }
        }
        assertEquals(layers.length, transforms.get(), "one transform per weight array, not per call");
        assertEquals(layers.length, cache.versions());
        float[] sameSamples = layers[2].clone();
        sameSamples[WeightCache.PIECE + 1] = 99f; // equal where sampled, different elsewhere
        assertEquals(99f, cache.get(sameSamples, NONE, THREE)[WeightCache.PIECE + 1], "sampled equal is not equal");
        assertEquals(layers.length + 1, transforms.get());
    }

    @Test
    void keepsVersionsWithinItsBudgetAndReplacesArraysChangedInPlace() {
        AtomicInteger transforms = new AtomicInteger();
        long versionBytes = 2L * Float.BYTES * 1000; // snapshot and result
        WeightCache<float[]> cache = new WeightCache<>(w -> {
            transforms.incrementAndGet();
            return w.clone();
        }, t -> (long) Float.BYTES * t.length, () -> 3 * versionBytes);
        float[][] layers = new float[4][1000];
        for (int l = 0; l < layers.length; l++) {
            Arrays.fill(layers[l], l + 0.5f);
            cache.get(layers[l], NONE, THREE);
        }
        assertEquals(3, cache.versions(), "three versions fit the budget");
        assertEquals(3 * versionBytes, cache.bytes());
        cache.get(layers[3], NONE, THREE);
        cache.get(layers[2], NONE, THREE);
        assertEquals(4, transforms.get(), "the three newest are kept");
        cache.get(layers[0], NONE, THREE);
        assertEquals(5, transforms.get(), "the oldest was dropped");
        layers[0][500] = -1f;
        assertEquals(-1f, cache.get(layers[0], NONE, THREE)[500], "changed in place: transformed again");
        assertEquals(3, cache.versions(), "replacing the version made from that array, not adding one");
        WeightCache<float[]> none = new WeightCache<>(float[]::clone, t -> (long) Float.BYTES * t.length, () -> 0L);
        none.get(layers[1], NONE, THREE);
        none.get(layers[2], NONE, THREE);
        assertEquals(1, none.versions(), "no budget: the newest version only");
        cache.clear();
        assertEquals(0, cache.bytes());
    }
}

package dev.jconv.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import org.junit.jupiter.api.Test;

class OutputComparisonTest {
    private static final int[] SHAPE = {1, 2, 2, 2};

    @Test
    void toleranceIsAbsoluteForSmallValuesAndRelativeForLargeOnes() {
        assertEquals(1e-4, OutputComparison.tolerance(new float[] {0.5f, -0.25f}), 0);
        assertEquals(1e-4 * 1000, OutputComparison.tolerance(new float[] {3f, -1000f}), 1e-12);
    }

    @Test
    void equalArraysPass() {
        float[] ref = {1, 2, 3, 4, 5, 6, 7, 8};
        assertTrue(OutputComparison.compare(ref, ref.clone()).passed());
        OutputComparison.assertClose("same", ref, ref.clone(), SHAPE);
    }

    @Test
    void anErrorAtTheToleranceBoundaryPassesAndJustBeyondFails() {
        float[] ref = {0, 0, 0, 0, 0, 0, 0, 0};
        float[] at = ref.clone();
        at[3] = 0.9999e-4f;
        assertTrue(OutputComparison.compare(ref, at).passed());
        float[] beyond = ref.clone();
        beyond[3] = 1.01e-4f;
        OutputComparison.Result r = OutputComparison.compare(ref, beyond);
        assertFalse(r.passed());
        assertEquals(3, r.worstIndex());
        assertEquals(1, r.outsideCount());
    }

    @Test
    void aNaNFailsEvenWhereTheReferenceIsNaNToo() {
        float[] ref = {1, 2, 3, 4, 5, 6, 7, Float.NaN};
        float[] out = ref.clone();
        assertFalse(OutputComparison.compare(ref, out).passed());
        float[] poisoned = OutputComparison.poisoned(8);
        AssertionError e = assertThrows(AssertionError.class,
                () -> OutputComparison.assertClose("poisoned", new float[8], poisoned, SHAPE));
        assertTrue(e.getMessage().contains("8 of 8 elements are NaN, the first at [0, 0, 0, 0]"), e.getMessage());
    }

    @Test
    void infinitiesDoNotWidenTheToleranceOrSlipThrough() {
        float[] ref = {Float.POSITIVE_INFINITY, 1, 1, 1, 1, 1, 1, 1};
        float[] out = ref.clone();
        out[1] = 1.5f;
        assertFalse(OutputComparison.compare(ref, out).passed(), "an infinite reference must not make every error pass");
        float[] wrongInfinity = ref.clone();
        wrongInfinity[0] = Float.NEGATIVE_INFINITY;
        assertFalse(OutputComparison.compare(ref, wrongInfinity).passed());
        assertTrue(OutputComparison.compare(ref, ref.clone()).passed());
    }

    @Test
    void theFailureMessageGivesContextErrorCoordinatesAndValues() {
        float[] ref = {0, 0, 0, 0, 0, 0, 0, 0};
        float[] out = ref.clone();
        out[6] = 0.5f;
        AssertionError e = assertThrows(AssertionError.class,
                () -> OutputComparison.assertClose("case X on backend Y", ref, out, SHAPE));
        String m = e.getMessage();
        assertTrue(m.startsWith("case X on backend Y"), m);
        assertTrue(m.contains("max |out - ref| = 0.500000 at [0, 1, 1, 0]"), m);
        assertTrue(m.contains("1 of 8 elements outside"), m);
    }

    @Test
    void shapesMustMatch() {
        AssertionError e = assertThrows(AssertionError.class, () -> OutputComparison.assertClose("shape",
                Tensor.zeros(1, 2, 3, 3), Tensor.zeros(1, 2, 9)));
        assertTrue(e.getMessage().contains("[1, 2, 9]") && e.getMessage().contains("[1, 2, 3, 3]"), e.getMessage());
    }
}

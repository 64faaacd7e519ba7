package dev.jconv.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jconv.Tensor;
import org.junit.jupiter.api.Test;

/** {@link ReLU} as {@code torch.relu}: negatives to 0, -0 and NaN kept, the input untouched unless in place. */
class ReLUTest {
    @Test
    void zeroesNegativesAndKeepsMinusZeroAndNaN() {
        float[] values = {-0f, Float.NaN, -1f, 2f, 0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY,
            -Float.MIN_VALUE};
        float[] expected = {-0f, Float.NaN, 0f, 2f, 0f, 0f, Float.POSITIVE_INFINITY, 0f}; // torch.relu's, PyTorch 1.13
        Tensor x = Tensor.of(values.clone(), values.length);
        assertArrayEquals(expected, new ReLU().forward(x).data());
        assertArrayEquals(values, x.data(), "not in place: the input is unchanged");
        new ReLU(true).forward(x);
        for (int i = 0; i < values.length; i++) {
            assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(x.data()[i]), "element " + i);
        }
    }
}

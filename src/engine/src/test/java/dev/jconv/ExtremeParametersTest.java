package dev.jconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Parameters near 2^31 on a 1x1x10x10 input with a 3x3 weight: the shape arithmetic is 64-bit, so every result is
 * PyTorch's and never a wrapped size, a negative shape or zeros PyTorch would not give (PyTorch's own errors for
 * huge dilations are checked in {@link ErrorMessageTest}). Both CPU backends compute what they accept; {@code cpu} in memory independent of the stride.
 */
class ExtremeParametersTest {
    private static final int MAX = Integer.MAX_VALUE;
    private static final Tensor X = Tensor.randn(11, 1, 1, 10, 10);
    private static final Tensor W = Tensor.randn(12, 1, 1, 3, 3);

    @Test
    void aPaddingOfIntMaxNamesTheOutputSizeInsteadOfReturningZeros() {
        // PyTorch tries to allocate 1.8 TB here and fails; jconv says why before allocating anything
        assertEquals("Calculated output size per channel: (4294967302 x 4294967302) from padded input size "
                + "(4294967304 x 4294967304) and kernel size (3 x 3) is too large: a dimension can be at most 2147483647",
                rejected(ConvParams.defaults().withPadding(MAX)));
        assertTrue(rejected(ConvParams.defaults().withPadding(Padding.of(1, MAX)))
                .startsWith("Calculated output size per channel: (10 x 4294967302)"));
    }

    @Test
    void anOutputLargerThanAJavaArrayIsNamedWithItsElementCount() {
        ConvParams p = ConvParams.defaults().withPadding(30000);
        assertEquals("output of size [1, 1, 60008, 60008] has 3600960064 elements, more than a Java array holds "
                + "(2147483639)", rejected(p));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpu-reference", "cpu"})
    void sameWithDilationTwoToThe30ReadsOnlyTheCentreTapAsPyTorchDoes(String backend) {
        ConvParams p = ConvParams.defaults().withDilation(1 << 30).withPadding(Padding.SAME);
        Tensor y = Functional.conv2d(X, W, null, p, backend);
        assertArrayEquals(new int[] {1, 1, 10, 10}, y.shape());
        float centre = W.data()[4];
        for (int i = 0; i < 100; i++) {
            assertEquals(X.data()[i] * centre, y.data()[i], 1e-6f, backend + " element " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {20_000, 100_000, MAX})
    void anyStrideComputesOneWindowOnBothBackends(int stride) {
        ConvParams p = ConvParams.defaults().withStride(stride);
        Tensor ref = Functional.conv2d(X, W, null, p, "cpu-reference");
        Tensor cpu = Functional.conv2d(X, W, null, p, "cpu");
        assertArrayEquals(new int[] {1, 1, 1, 1}, ref.shape());
        assertEquals(window(0, 0), ref.data()[0], 1e-5f);
        assertEquals(ref.data()[0], cpu.data()[0], 1e-5f);
    }

    @Test
    void strideAndPaddingOfIntMaxGivePyTorchsThreeByThree() {
        // PyTorch: torch.Size([1, 1, 3, 3]), zeros except the centre, which is the top-left window
        ConvParams p = ConvParams.defaults().withStride(MAX).withPadding(MAX);
        for (String backend : new String[] {"cpu-reference", "cpu"}) {
            Tensor y = Functional.conv2d(X, W, null, p, backend);
            assertArrayEquals(new int[] {1, 1, 3, 3}, y.shape(), backend);
            for (int i = 0; i < 9; i++) {
                assertEquals(i == 4 ? window(0, 0) : 0f, y.data()[i], 1e-5f, backend + " element " + i);
            }
        }
    }

    @Test
    void paddingOneOnAHeightOfIntMaxIsAccepted() {
        Conv2d layer = Conv2d.builder(1, 1, 3, 1).params(ConvParams.defaults().withPadding(Padding.of(1, 0))).build();
        assertArrayEquals(new int[] {1, 1, MAX, 1}, layer.outputShape(1, 1, MAX, 1));
        assertArrayEquals(new int[] {1, 1, MAX - 2, 1},
                Conv2d.builder(1, 1, 3, 1).build().outputShape(1, 1, MAX, 1));
    }

    @Test
    void samePaddingBeyondAnIntPerSideIsNamed() {
        Conv2d layer = Conv2d.builder(1, 1, 5, 1)
                .params(ConvParams.defaults().withDilation(MAX, 1).withPadding(Padding.SAME)).build();
        String m = assertThrows(IllegalArgumentException.class, () -> layer.outputShape(1, 1, 10, 10)).getMessage();
        assertTrue(m.startsWith("padding='same' with dilation (2147483647, 1) and kernel size (5, 1) pads"), m);
    }

    /** {@code sum of x[r, s] * w[r, s]} over the 3x3 window at (y, x), in double. */
    private static float window(int y, int x) {
        double sum = 0;
        for (int r = 0; r < 3; r++) {
            for (int s = 0; s < 3; s++) {
                sum += (double) X.data()[(y + r) * 10 + x + s] * W.data()[r * 3 + s];
            }
        }
        return (float) sum;
    }

    private static String rejected(ConvParams p) {
        return assertThrows(IllegalArgumentException.class, () -> Functional.conv2d(X, W, null, p, "cpu-reference"))
                .getMessage();
    }
}

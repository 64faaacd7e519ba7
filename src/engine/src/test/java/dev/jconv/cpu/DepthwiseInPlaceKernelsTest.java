package dev.jconv.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link DepthwiseInPlaceKernels#plane} and {@link DepthwiseInPlaceKernels#scalarPlane} on one plane, every width
 * from 1 to 40 and height from 1 to 12 (rows narrower than a vector, exactly one, and several strips): the outputs
 * against a plain loop over the nine taps, and where they write: nothing before the plane, nothing more than
 * {@link DepthwiseInPlaceKernels#writesPast} floats after it for the kernels and nothing after it for the scalar
 * loop (the plan relies on these bounds to keep a thread off the next thread's planes). The input around the
 * plane is NaN, so a tap that should read padding and reads a neighbour instead poisons its output.
 */
class DepthwiseInPlaceKernelsTest {
    private static final float UNTOUCHED = 12345f;

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void writesThePlaneAndStaysWithinItsBound(int stride) {
        check(stride, false);
    }

    /** The scalar loop that runs while a kernel is not compiled yet: the same results, nothing past the plane. */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void scalarPlaneWritesThePlaneOnly(int stride) {
        check(stride, true);
    }

    private static void check(int stride, boolean scalar) {
        Random random = new Random(stride * 7919L);
        for (int h = 1; h <= 12; h++) {
            for (int w = 1; w <= 40; w++) {
                int outH = (h - 1) / stride + 1;
                int outW = (w - 1) / stride + 1;
                int base = 1 + random.nextInt(3);
                float[] in = new float[base + h * w + DepthwiseInPlaceKernels.READS_PAST + 2];
                Arrays.fill(in, Float.NaN);
                for (int i = 0; i < h * w; i++) {
                    in[base + i] = random.nextFloat() * 2 - 1;
                }
                float[] k = new float[9];
                for (int i = 0; i < 9; i++) {
                    k[i] = random.nextFloat() * 2 - 1;
                }
                float b = random.nextFloat() - 0.5f;
                int out0 = random.nextInt(5);
                int past = scalar ? 0 : DepthwiseInPlaceKernels.writesPast(stride, w, outW);
                float[] out = new float[out0 + outH * outW + 64];
                Arrays.fill(out, UNTOUCHED);
                if (scalar) {
                    DepthwiseInPlaceKernels.scalarPlane(stride, in, base, w, h, k, 0, b, out, out0, outW, outH);
                } else {
                    DepthwiseInPlaceKernels.plane(stride, in, base, w, h, k, 0, b, out, out0, outW, outH);
                }
                String what = "stride " + stride + ", " + h + "x" + w;
                for (int i = 0; i < out0; i++) {
                    assertEquals(UNTOUCHED, out[i], what + ": wrote before the plane");
                }
                for (int i = out0 + outH * outW + past; i < out.length; i++) {
                    assertEquals(UNTOUCHED, out[i], what + ": wrote " + (i - out0 - outH * outW)
                            + " floats past the plane, bound " + past);
                }
                for (int y = 0; y < outH; y++) {
                    for (int x = 0; x < outW; x++) {
                        float want = expected(in, base, w, h, k, b, stride, y, x);
                        float got = out[out0 + y * outW + x];
                        assertTrue(Math.abs(got - want) <= 1e-5f, what + " at (" + y + ", " + x + "): " + got
                                + " against " + want);
                    }
                }
            }
        }
    }

    private static float expected(float[] in, int base, int w, int h, float[] k, float b, int stride, int y, int x) {
        double sum = b;
        for (int r = 0; r < 3; r++) {
            for (int s = 0; s < 3; s++) {
                int iy = stride * y - 1 + r;
                int ix = stride * x - 1 + s;
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                    sum += (double) k[3 * r + s] * in[base + iy * w + ix];
                }
            }
        }
        return (float) sum;
    }
}

package dev.jconv.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jconv.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link MaxPool2d} element for element against the plainest loop over PyTorch's rule (a tap replaces the max if
 * greater or NaN; padding never wins), on random shapes, kernels, strides, paddings, dilations and ceil modes, with
 * NaN, -0 and 0 among the inputs: the interior windows run a loop of their own without bounds checks, and both
 * must agree bit for bit (NaN as NaN).
 */
class MaxPool2dTest {
    @Test
    void everyWindowMatchesThePlainLoop() {
        SplittableRandom rng = new SplittableRandom(2026_12_02L);
        for (int c = 0; c < 400; c++) {
            int kh = 1 + rng.nextInt(4);
            int kw = c % 3 == 0 ? kh : 1 + rng.nextInt(4);
            int sh = 1 + rng.nextInt(3);
            int sw = 1 + rng.nextInt(3);
            int ph = rng.nextInt(kh / 2 + 1);
            int pw = rng.nextInt(kw / 2 + 1);
            int dh = 1 + rng.nextInt(2);
            int dw = 1 + rng.nextInt(2);
            if (c % 4 == 1) { // VGG's and SimpleCNN's pool, on odd and even sizes
                kh = kw = sh = sw = 2;
                ph = pw = 0;
                dh = dw = 1;
            }
            boolean ceil = rng.nextBoolean();
            int h = (kh - 1) * dh + 1 + rng.nextInt(12);
            int w = (kw - 1) * dw + 1 + rng.nextInt(12);
            int[] shape = {1 + rng.nextInt(2), 1 + rng.nextInt(3), h, w};
            MaxPool2d pool = MaxPool2d.builder(kh, kw).stride(sh, sw).padding(ph, pw).dilation(dh, dw)
                    .ceilMode(ceil).build();
            Tensor x = Tensor.uniform(c, -1f, 1f, shape);
            float[] d = x.data();
            for (int i = 0; i < d.length; i += 1 + rng.nextInt(7)) {
                d[i] = switch (rng.nextInt(4)) {
                    case 0 -> Float.NaN;
                    case 1 -> -0f;
                    case 2 -> 0f;
                    default -> d[i];
                };
            }
            float[] got = pool.forward(x).data();
            int[] out = pool.outputShape(shape);
            int i = 0;
            for (int p = 0; p < shape[0] * shape[1]; p++) {
                for (int oy = 0; oy < out[2]; oy++) {
                    for (int ox = 0; ox < out[3]; ox++, i++) {
                        float max = Float.NEGATIVE_INFINITY;
                        for (int r = 0; r < kh; r++) {
                            for (int s = 0; s < kw; s++) {
                                int y = oy * sh - ph + r * dh;
                                int xx = ox * sw - pw + s * dw;
                                if (y >= 0 && y < h && xx >= 0 && xx < w) {
                                    float v = d[(p * h + y) * w + xx];
                                    if (v > max || Float.isNaN(v)) {
                                        max = v;
                                    }
                                }
                            }
                        }
                        assertEquals(Float.floatToIntBits(max), Float.floatToIntBits(got[i]),
                                () -> pool + " on " + java.util.Arrays.toString(shape));
                    }
                }
            }
        }
    }
}

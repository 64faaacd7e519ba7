package dev.jconv.cuda.cudnn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import dev.jconv.cpu.ReferenceBackend;
import dev.jconv.cuda.Pad2dKernel;
import dev.jconv.cuda.vendor.RandomConvolutions;
import org.junit.jupiter.api.Test;

/**
 * What cuDNN is asked to compute, without a GPU: descriptor values for each geometry, and the claim that
 * the pad pass (pad2d.cu's formula) followed by cuDNN's symmetric zero-padded convolution equals
 * PyTorch's convolution, checked against cpu-reference on random convolutions.
 */
class CudnnConvShapeTest {

    @Test
    void symmetricZeroPaddingIsLeftToCudnnWithGroupsAndDilation() {
        ConvGeometry g = geometry(2, 32, 28, 30, 64, 3, 3,
                ConvParams.defaults().withPadding(Padding.of(2, 1)).withStride(2, 1).withDilation(2, 1).withGroups(4));
        assertFalse(CudnnConvShape.needsPadPass(g));
        CudnnConvShape s = CudnnConvShape.of(g);
        assertEquals(new CudnnConvShape(2, 32, 28, 30, 64, 3, 3, 2, 1, 2, 1, 2, 1, 4, g.outHeight(), g.outWidth()), s);
        assertEquals(8, s.cPerGroup(), "the filter descriptor holds C/groups input channels");
        assertEquals(64L * 8 * 9, s.filterElements());
        assertNull(s.unsupportedReason());
        assertEquals("x [2, 32, 28, 30] * w [64, 8, 3, 3], pad 2x1, stride 2x1, dilation 2x1, groups 4 -> y [2, 64, "
                + g.outHeight() + ", " + g.outWidth() + "]", s.describe());
    }

    @Test
    void asymmetricSameGoesThroughThePadPassAndCudnnSeesNoPadding() {
        ConvGeometry g = geometry(1, 3, 10, 11, 4, 4, 2, ConvParams.defaults().withPadding(Padding.SAME));
        assertEquals(1, g.padTop());
        assertEquals(2, g.padBottom());
        assertTrue(CudnnConvShape.needsPadPass(g));
        CudnnConvShape s = CudnnConvShape.of(g);
        assertEquals(13, s.h());
        assertEquals(12, s.w());
        assertEquals(0, s.padH());
        assertEquals(0, s.padW());
        assertEquals(10, s.outH());
        assertEquals(11, s.outW());
        Pad2dKernel pad = Pad2dKernel.forInput(g);
        assertEquals(new Pad2dKernel(3, 10, 11, 13, 12, 1, 0, PaddingMode.ZEROS), pad);
    }

    @Test
    void nonZeroModesNeedThePadPassOnlyWhenThereIsPadding() {
        ConvParams reflect = ConvParams.defaults().withPaddingMode(PaddingMode.REFLECT);
        assertTrue(CudnnConvShape.needsPadPass(geometry(1, 2, 8, 8, 2, 3, 3, reflect.withPadding(1))));
        assertFalse(CudnnConvShape.needsPadPass(geometry(1, 2, 8, 8, 2, 3, 3, reflect)), "padding 0: nothing to reflect");
        assertFalse(CudnnConvShape.needsPadPass(geometry(1, 2, 8, 8, 2, 3, 3, reflect.withPadding(Padding.VALID))));
    }

    @Test
    void tensorsBeyondCudnnsThirtyTwoBitCountsAreRefused() {
        ConvGeometry g = geometry(1024, 64, 256, 256, 1, 1, 1, ConvParams.defaults());
        String why = CudnnConvShape.of(g).unsupportedReason();
        assertNotNull(why);
        assertTrue(why.contains("4294967296 elements"), why);
    }

    @Test
    void padPassThenCudnnConvolutionEqualsPytorchsOnRandomConvolutions() {
        int padded = 0;
        for (RandomConvolutions.Case c : RandomConvolutions.draw(5150L, 200)) {
            ConvGeometry g = c.geometry();
            CudnnConvShape s = CudnnConvShape.of(g);
            float[] x = c.input();
            if (CudnnConvShape.needsPadPass(g)) {
                x = pad2d(Pad2dKernel.forInput(g), c.input());
                padded++;
            }
            assertEquals((long) x.length, s.inputElements());
            // what cuDNN computes: symmetric zero padding, cross-correlation, groups, dilation
            ConvGeometry asCudnn = new ConvGeometry(s.n(), s.c(), s.h(), s.w(), s.k(), s.r(), s.s(), s.strideH(), s.strideW(),
                    s.dilationH(), s.dilationW(), s.padH(), s.padH(), s.padW(), s.padW(), s.groups(), PaddingMode.ZEROS,
                    s.outH(), s.outW());
            float[] out = new float[Math.toIntExact(s.outputElements())];
            new ReferenceBackend().plan(asCudnn).forward(x, c.weight(), c.bias(), out);
            String why = RandomConvolutions.mismatch(c.reference(), out);
            assertNull(why, () -> g + " as cuDNN " + s.describe() + ": " + why);
        }
        assertTrue(padded > 50, "the random cases exercise the pad pass: " + padded);
    }

    /** pad2d.cu's formula: out[plane, y, x] = in[plane, src(y - padTop, H), src(x - padLeft, W)], 0 where src is -1. */
    static float[] pad2d(Pad2dKernel k, float[] in) {
        float[] out = new float[Math.toIntExact(k.outputElements())];
        for (int p = 0; p < k.planes(); p++) {
            for (int y = 0; y < k.outH(); y++) {
                int iy = k.mode().sourceIndex(y - k.padTop(), k.inH());
                for (int x = 0; x < k.outW(); x++) {
                    int ix = k.mode().sourceIndex(x - k.padLeft(), k.inW());
                    out[(p * k.outH() + y) * k.outW() + x] = iy < 0 || ix < 0 ? 0f : in[(p * k.inH() + iy) * k.inW() + ix];
                }
            }
        }
        return out;
    }

    static ConvGeometry geometry(int n, int c, int h, int w, int k, int kh, int kw, ConvParams p) {
        return ConvValidator.checkForward(new int[] {n, c, h, w}, new int[] {k, c / p.groups(), kh, kw}, null, p);
    }
}

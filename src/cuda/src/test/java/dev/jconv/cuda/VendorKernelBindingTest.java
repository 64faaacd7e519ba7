package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.Padding;
import dev.jconv.PaddingMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** pad2d (cudnn's pad pass) and im2col (cublas): arguments against the .cu signatures and the committed PTX, launch sizes. */
class VendorKernelBindingTest {

    @Test
    void pad2dArgumentsMatchItsSourceAndPtx() throws IOException {
        ConvGeometry g = LaunchPlannerTest.geometry(2, 3, 9, 10, 4, 4, 4, ConvParams.defaults().withPadding(Padding.SAME)
                .withPaddingMode(PaddingMode.REFLECT));
        Pad2dKernel k = Pad2dKernel.forInput(g);
        KernelArgs args = k.arguments(0, 0);
        assertEquals(signature("pad2d.cu", "pad2d"), args.names());
        assertEquals(ptxTypes(Pad2dKernel.PTX, Pad2dKernel.NAME), args.kinds().stream().map(KernelArgs.Kind::ptxType).toList());
        assertEquals(1, args.intValue("padding_mode"));
        assertEquals(1, args.intValue("pad_top"));
        assertEquals(12, args.intValue("out_h"));
        assertEquals(LaunchConfig.of1d((int) LaunchPlanner.ceilDiv(6L * 12 * 13, 256), 256, 0), k.config());
    }

    @Test
    void im2colArgumentsMatchItsSourceAndPtx() throws IOException {
        ConvGeometry g = LaunchPlannerTest.geometry(4, 6, 20, 21, 8, 3, 5, ConvParams.defaults().withStride(2, 1)
                .withDilation(1, 2).withPadding(Padding.of(1, 2)).withPaddingMode(PaddingMode.CIRCULAR).withGroups(2));
        Im2colKernel k = new Im2colKernel(g);
        KernelArgs args = k.arguments(0, 0, 3);
        assertEquals(signature("im2col.cu", "im2col"), args.names());
        assertEquals(ptxTypes(Im2colKernel.PTX, Im2colKernel.NAME), args.kinds().stream().map(KernelArgs.Kind::ptxType).toList());
        assertEquals(3, args.intValue("images"));
        assertEquals(3, args.intValue("padding_mode"));
        assertEquals((long) 6 * 15 * g.outHeight() * g.outWidth(), k.columnFloatsPerImage());
        assertEquals(LaunchConfig.of1d((int) LaunchPlanner.ceilDiv(3L * 6 * g.outHeight() * g.outWidth(), 256), 256, 0),
                k.config(3));
    }

    @Test
    void theKernelsBlockSizesMatchTheirSources() throws IOException {
        assertTrue(Files.readString(Path.of("native-kernels/pad2d.cu")).contains("#define PAD2D_BLOCK " + Pad2dKernel.BLOCK + "\n"));
        assertTrue(Files.readString(Path.of("native-kernels/im2col.cu")).contains("#define IM2COL_BLOCK " + Im2colKernel.BLOCK + "\n"));
    }

    @Test
    void ptxIsShippedForTuringWithTheCuda13Isa() {
        for (String resource : List.of(Pad2dKernel.PTX, Im2colKernel.PTX)) {
            String ptx = PtxModule.readResource(resource);
            assertTrue(ptx.contains("\n.target sm_75\n"), resource);
            assertEquals(new PtxIsa(9, 0), PtxIsa.of(ptx), resource);
        }
        assertEquals(List.of("pad2d"), PtxModule.entries(PtxModule.readResource(Pad2dKernel.PTX)));
        assertEquals(List.of("im2col"), PtxModule.entries(PtxModule.readResource(Im2colKernel.PTX)));
    }

    @Test
    void aPadPassThatCannotHoldTheInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Pad2dKernel(1, 8, 8, 8, 9, 1, 0, PaddingMode.ZEROS));
    }

    static List<String> signature(String file, String kernel) throws IOException {
        String source = Files.readString(Path.of("native-kernels", file)).replaceAll("//[^\\n]*", "");
        Matcher m = Pattern.compile(kernel + "\\s*\\(([^)]*)\\)").matcher(source);
        assertTrue(m.find(), kernel + "'s signature in " + file);
        return KernelBindingTest.parameterNames(m.group(1));
    }

    static List<String> ptxTypes(String resource, String kernel) {
        return KernelBindingTest.ptxParameterTypes(PtxModule.readResource(resource), kernel);
    }
}

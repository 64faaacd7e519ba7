package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Java side passes each kernel exactly the parameters its CUDA source declares, by name and in
 * order, with the types the committed PTX expects: the one binding a GPU run would otherwise be the
 * first to check.
 */
class KernelBindingTest {

    @Test
    void directKernelArgumentsMatchItsSourceAndPtx() throws IOException {
        ConvLaunch launch = LaunchPlanner.plan(LaunchPlannerTest.geometry(1, 8, 20, 20, 8, 3, 3,
                ConvParams.defaults().withGroups(8)), 132);
        assertEquals("conv2d_direct", launch.kernelName());
        String source = withoutComments(Files.readString(Path.of("native-kernels/conv2d_direct.cu")));
        Matcher m = Pattern.compile("conv2d_direct\\s*\\(([^)]*)\\)").matcher(source);
        assertTrue(m.find(), "conv2d_direct's signature in conv2d_direct.cu");
        assertBinding(launch, parameterNames(m.group(1)));
    }

    @Test
    void implicitGemmKernelArgumentsMatchTheirSourceAndPtx() throws IOException {
        String source = withoutComments(Files.readString(Path.of("native-kernels/conv2d_implicit_gemm.cu")));
        Matcher m = Pattern.compile("#define JCONV_IGEMM_PARAMS((?:[^\\n]*\\\\\\n)*[^\\n]*)").matcher(source);
        assertTrue(m.find(), "JCONV_IGEMM_PARAMS in conv2d_implicit_gemm.cu");
        List<String> names = parameterNames(m.group(1).replace("\\\n", " "));
        ConvGeometry small = LaunchPlannerTest.geometry(1, 64, 28, 28, 64, 3, 3, ConvParams.defaults().withPadding(1));
        ConvGeometry big = LaunchPlannerTest.geometry(32, 128, 28, 28, 128, 3, 3, ConvParams.defaults().withPadding(1));
        ConvLaunch a = LaunchPlanner.plan(small, 132);
        ConvLaunch b = LaunchPlanner.plan(big, 132);
        assertEquals("conv2d_igemm_64x64", a.kernelName());
        assertEquals("conv2d_igemm_128x128", b.kernelName());
        assertBinding(a, names);
        assertBinding(b, names);
    }

    private static void assertBinding(ConvLaunch launch, List<String> sourceNames) {
        KernelArgs args = launch.arguments(0, 0, 0, 0, 0, true);
        assertEquals(sourceNames, args.names(), launch.kernelName() + ": argument names and order");
        List<String> ptxTypes = ptxParameterTypes(PtxModule.readResource(launch.ptxResource()), launch.kernelName());
        List<String> javaTypes = args.kinds().stream().map(KernelArgs.Kind::ptxType).toList();
        assertEquals(ptxTypes, javaTypes, launch.kernelName() + ": argument types against the committed PTX");
    }

    static List<String> parameterNames(String parameterList) {
        List<String> names = new ArrayList<>();
        for (String p : parameterList.split(",")) {
            String[] tokens = p.trim().split("[\\s*&]+");
            names.add(tokens[tokens.length - 1]);
        }
        return names;
    }

    static List<String> ptxParameterTypes(String ptx, String entry) {
        Matcher m = Pattern.compile("\\.entry\\s+" + entry + "\\s*\\(([^)]*)\\)").matcher(ptx);
        assertTrue(m.find(), entry + " in the PTX");
        List<String> types = new ArrayList<>();
        Matcher p = Pattern.compile("\\.param\\s+(\\.\\w+)\\s+" + entry + "_param_\\d+").matcher(m.group(1));
        while (p.find()) {
            types.add(p.group(1));
        }
        return types;
    }

    private static String withoutComments(String source) {
        return source.replaceAll("//[^\\n]*", "");
    }
}

package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GPU kit's closing block from fake logs: no GPU, a GPU run with results, and the length cap. */
class GpuKitVerdictTest {
    @Test
    void withoutAGpuTheBlockSaysWhyAndFails(@TempDir Path logs) throws IOException {
        Files.writeString(logs.resolve("availability.txt"), """
                cudnn: unavailable: libcudnn.so.9 (cuDNN 9) not found
                cuda-ptx: unavailable: no NVIDIA driver: libcuda.so.1: cannot open shared object file
                cublas: unavailable: libcublas.so.12 not found
                """);
        String block = GpuKitVerdict.render(logs);
        assertTrue(block.startsWith(GpuKitVerdict.HEADER + "\n"), block);
        assertTrue(block.contains("cuda-ptx: unavailable: no NVIDIA driver: libcuda.so.1"), block);
        assertTrue(block.contains("  tests: none ran"), block);
        assertTrue(block.contains("speed: no benchmark results"), block);
        assertTrue(block.endsWith("verdict: FAIL: no usable GPU here, nothing was measured (cuda-ptx: unavailable: no NVIDIA"
                + " driver: libcuda.so.1: cannot open shared object file)\n"), block);
    }

    @Test
    void aGpuRunCountsTestsPerBackendAndSummarisesSpeed(@TempDir Path logs) throws IOException {
        Files.writeString(logs.resolve("availability.txt"), "cuda-ptx: available: device 0: NVIDIA H200\n"
                + "cudnn: available: cuDNN 9.5.0\ncublas: unavailable: libcublas.so.12 not found\n");
        Files.createDirectory(logs.resolve("junit"));
        Files.writeString(logs.resolve("junit/TEST-junit-jupiter.xml"), """
                <testsuite>
                  <testcase name="a" classname="dev.jconv.cuda.PtxBackendGpuTest"/>
                  <testcase name="b" classname="dev.jconv.cuda.PtxBackendGpuTest"><failure message="x"/></testcase>
                  <testcase name="c" classname="dev.jconv.cuda.cudnn.CudnnGpuTest"/>
                  <testcase name="d" classname="dev.jconv.cuda.cublas.CublasGpuTest"><skipped/></testcase>
                </testsuite>
                """);
        Files.writeString(logs.resolve("cuda-ptx-bench.csv"), """
                suite,name,batch,kernel,ptx_ms_median,ptx_tflops,torch_ms_median,check
                resnet,conv1,1,k,2.0,1,1.0,ok
                resnet,conv2,1,k,1.0,1,2.0,ok
                resnet,conv3,1,k,1.0,1,,ok
                """);
        Files.writeString(logs.resolve("notes.txt"), "cudnn preflight: all 26 functions found\n");
        String block = GpuKitVerdict.render(logs);
        assertTrue(block.contains("cuda-ptx: available: device 0: NVIDIA H200\n  tests: 1 passed, 1 failed, 0 skipped"), block);
        assertTrue(block.contains("cudnn: available: cuDNN 9.5.0\n  tests: 1 passed, 0 failed, 0 skipped"), block);
        assertTrue(block.contains("  tests: 0 passed, 0 failed, 1 skipped"), block);
        assertTrue(block.contains("note: cudnn preflight: all 26 functions found"), block);
        // geometric mean of 0.5 and 2 is 1; conv3 has no PyTorch time and is left out
        assertTrue(block.contains("cuda-ptx N=1                 1.00x over  2 layers; worst conv1 0.50x"), block);
        assertTrue(block.endsWith("verdict: FAIL: GPU tests failed (see the junit reports in gpu-kit-logs.tar.gz)\n"), block);
    }

    @Test
    void theBlockNeverExceedsItsLimit(@TempDir Path logs) throws IOException {
        Files.writeString(logs.resolve("notes.txt"), ("x".repeat(300) + "\n").repeat(40));
        String block = GpuKitVerdict.render(logs);
        assertTrue(block.length() <= GpuKitVerdict.MAX_CHARS, block.length() + " chars");
        assertTrue(block.contains(" lines cut, see summary.txt\nverdict: FAIL"), block);
    }
}

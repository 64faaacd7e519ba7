package dev.jconv.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.io.Npy;
import dev.jconv.testkit.NetworkFixtures;
import dev.jconv.testkit.OutputComparison;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jconv model}: runs a spec with a state_dict like PyTorch, summarises, explains, and fails cleanly. */
class ModelCommandTest {
    @TempDir
    Path dir;

    private static String fixture(String rel) {
        return NetworkFixtures.path(rel).toString();
    }

    @Test
    void runsTheSeedsSimpleCnnFromBothWeightFormatsOnCpuAndReference() throws IOException {
        for (String backend : new String[] {"cpu", "cpu-reference"}) {
            for (String weights : new String[] {"weights.safetensors", "weights.npz"}) {
                Path out = dir.resolve(backend + weights + ".npy");
                Cli.Result r = Cli.run("model", "--spec", fixture("simple_cnn/spec.txt"), "--weights",
                        fixture("simple_cnn/" + weights), "--input", fixture("simple_cnn/input.npy"), "--output",
                        out.toString(), "--backend", backend);
                assertEquals(0, r.exitCode(), r.err());
                assertEquals("wrote " + out + ": float32 [2, 10]\n", r.out());
                OutputComparison.assertClose(backend, Npy.read(NetworkFixtures.path("simple_cnn/output.npy")),
                        Npy.read(out));
            }
        }
    }

    @Test
    void explainNamesEveryFusion() {
        Path out = dir.resolve("y.npy");
        Cli.Result r = Cli.run("model", "--spec", fixture("conv_bn_relu_pool/spec.txt"), "--weights",
                fixture("conv_bn_relu_pool/weights.safetensors"), "--input", fixture("conv_bn_relu_pool/input.npy"),
                "--output", out.toString(), "--backend", "cpu", "--explain");
        assertEquals(0, r.exitCode(), r.err());
        String first = r.err().lines().findFirst().orElseThrow();
        assertTrue(first.startsWith("explain: conv + bn + relu -> [2, 16, 32, 32]: Conv2d(3, 16,"), first);
        assertTrue(first.contains("bn folded into the weights and bias at load (fuse_conv_bn_weights)"), first);
        assertTrue(first.contains("relu fused into the convolution's output pass"), first);
        assertTrue(first.contains("ReLU fused into the output stores"), first);
        assertTrue(r.err().contains("explain: pool -> [2, 16, 16, 16]: MaxPool2d(kernel_size=2"), r.err());
    }

    @Test
    void aNetworkOnAnUnavailableGpuBackendFailsWithItsReasonAndExit2() {
        Assumptions.assumeFalse(Backends.byName("cuda-ptx").availability().available(), "cuda-ptx runs here");
        Path out = dir.resolve("y.npy");
        Cli.Result r = Cli.run("model", "--spec", fixture("simple_cnn/spec.txt"), "--weights",
                fixture("simple_cnn/weights.safetensors"), "--input", fixture("simple_cnn/input.npy"), "--output",
                out.toString(), "--backend", "cuda-ptx", "--explain");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("error: backend cuda-ptx is unavailable: "), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void explainWorksWithTheSummaryToo() {
        Cli.Result r = Cli.run("model", "--spec", fixture("conv1d_net/spec.txt"), "--input-shape", "1,4,30", "--explain",
                "--backend", "cpu-reference");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("explain: c1 + r1 -> [1, 8, 28]: Conv1d(4, 8, kernel_size=(3,), stride=(1,)): r1"
                + " fused into the convolution's output pass; cpu-reference (requested by name): direct loops, double"
                + " accumulation, then RELU as a separate pass over the output\n"), r.err());
    }

    @Test
    void inputShapePrintsTheSummary() {
        Cli.Result r = Cli.run("model", "--spec", fixture("simple_cnn/spec.txt"), "--input-shape", "1,3,28,28");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("""
                Layer (type)                 Output Shape              Param #
                input                        [1, 3, 28, 28]                   
                conv1 (Conv2d)               [1, 32, 28, 28]               896
                relu1 (ReLU)                 [1, 32, 28, 28]                 0
                pool (MaxPool2d)             [1, 32, 14, 14]                 0
                conv2 (Conv2d)               [1, 64, 14, 14]            18,496
                relu2 (ReLU)                 [1, 64, 14, 14]                 0
                pool (MaxPool2d)             [1, 64, 7, 7]                   0
                flatten (Flatten)            [1, 3136]                       0
                fc (Linear)                  [1, 10]                    31,370
                Total params: 50,762
                """, r.out());
    }

    @Test
    void missingAndUnexpectedKeysFailInPyTorchsWordsWithExit2() throws IOException {
        Path out = dir.resolve("y.npy");
        Files.writeString(out, "keep me");
        Cli.Result r = Cli.run("model", "--spec", fixture("load_errors/spec.txt"), "--weights",
                fixture("load_errors/all.npz"), "--input", fixture("simple_cnn/input.npy"), "--output", out.toString());
        String message = Cli.assertOneLineError(r, 2);
        assertEquals("Error(s) in loading state_dict for TinyCNN: Missing key(s) in state_dict: \"conv1.bias\". "
                + "Unexpected key(s) in state_dict: \"stray\". size mismatch for conv1.weight: copying a param with"
                + " shape torch.Size([4, 1, 5, 5]) from checkpoint, the shape in current model is"
                + " torch.Size([4, 1, 3, 3]). size mismatch for fc.weight: copying a param with shape"
                + " torch.Size([3, 16, 1]) from checkpoint, the shape in current model is torch.Size([3, 16]).", message);
        assertEquals("keep me", Files.readString(out), "a failed run leaves the output alone");
    }

    @Test
    void badInputsAreOneLineErrors() throws IOException {
        Path spec = dir.resolve("net.txt");
        Files.writeString(spec, "conv: Conv2d(3, 4, 3)\nrelu: ReLu()\n");
        String m = Cli.assertOneLineError(Cli.run("model", "--spec", spec.toString(), "--input-shape", "1,3,8,8"), 2);
        assertTrue(m.startsWith(spec + " line 2: unknown module 'ReLu'"), m);

        Files.writeString(spec, "conv: Conv2d(3, 4, 3)\n");
        m = Cli.assertOneLineError(Cli.run("model", "--spec", spec.toString(), "--input-shape", "1,2,8,8"), 2);
        assertEquals("Given groups=1, weight of size [4, 3, 3, 3], expected input[1, 2, 8, 8] to have 3 channels,"
                + " but got 2 channels instead", m);

        m = Cli.assertOneLineError(Cli.run("model", "--spec", spec.toString()), 2);
        assertTrue(m.contains("give --weights, --input and --output"), m);
        m = Cli.assertOneLineError(Cli.run("model", "--spec", spec.toString(), "--bench", "1"), 2);
        assertTrue(m.contains("--bench takes a positive number of seconds and needs --input-shape"), m);

        Path out = dir.resolve("y.npy");
        m = Cli.assertOneLineError(Cli.run("model", "--spec", fixture("simple_cnn/spec.txt"), "--weights",
                fixture("simple_cnn/weights.npz"), "--input", fixture("conv1d_net/input.npy"), "--output",
                out.toString()), 2);
        // [3, 4, 30] is an unbatched 3x4x30 image to conv1; Flatten then merges its channels away, as in PyTorch
        assertEquals("mat1 and mat2 shapes cannot be multiplied (64x7 and 3136x10)", m);
        assertFalse(Files.exists(out), "no partial output");

        Path bad = dir.resolve("w.safetensors");
        Files.write(bad, new byte[] {1, 2});
        m = Cli.assertOneLineError(Cli.run("model", "--spec", fixture("simple_cnn/spec.txt"), "--weights",
                bad.toString(), "--input-shape", "1,3,28,28"), 2);
        assertTrue(m.startsWith(bad + ": file is too short"), m);
    }

    @Test
    void unbatchedConv1dRunsThroughTheCli() throws IOException {
        Path out = dir.resolve("y.npy");
        Cli.Result r = Cli.run("model", "--spec", fixture("conv1d_unbatched/spec.txt"), "--weights",
                fixture("conv1d_unbatched/weights.safetensors"), "--input", fixture("conv1d_unbatched/input.npy"),
                "--output", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        Tensor expected = Npy.read(NetworkFixtures.path("conv1d_unbatched/output.npy"));
        OutputComparison.assertClose("conv1d", expected, Npy.read(out));
    }
}

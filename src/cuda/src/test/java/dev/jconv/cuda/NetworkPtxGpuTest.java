package dev.jconv.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import dev.jconv.ConvParams;
import dev.jconv.PostOp;
import dev.jconv.Tensor;
import dev.jconv.backend.ConvPlan;
import dev.jconv.backend.PlanLease;
import dev.jconv.io.Npy;
import dev.jconv.nn.ModelSpec;
import dev.jconv.nn.Sequential;
import dev.jconv.testkit.NetworkFixtures;
import dev.jconv.testkit.OutputComparison;
import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Networks on {@code cuda-ptx}: ReLU fused into the kernels' epilogue equals {@code relu(cpu-reference)} from host
 * arrays and device tensors, and the fixture networks (Conv-BN-ReLU-MaxPool, Conv1d) match PyTorch with
 * convolutions on the device and BatchNorm folded.
 */
@Tag(GpuTestSupport.GPU_TAG)
class NetworkPtxGpuTest {
    private static CudaDevice device;
    private static PtxBackend backend;

    @BeforeEach
    void requireGpu() {
        device = GpuTestSupport.requireCudaDevice();
        backend = GpuTestSupport.requireBackend(backend == null ? new PtxBackend() : backend);
    }

    @AfterAll
    static void closeBackend() {
        if (backend != null) {
            backend.close();
        }
    }

    static Stream<ConvCases.Case> cases() {
        return Stream.of(
                ConvCases.make("3x3 pad 1", 1, new int[] {2, 3, 12, 12}, 16, 3, 3, ConvParams.defaults().withPadding(1),
                        true),
                ConvCases.make("1x1 no bias", 2, new int[] {1, 8, 7, 9}, 12, 1, 1, ConvParams.defaults(), false),
                ConvCases.make("depthwise", 3, new int[] {1, 6, 10, 10}, 6, 3, 3,
                        ConvParams.defaults().withGroups(6).withPadding(1), true));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void fusedReluEqualsReluOfTheReference(ConvCases.Case c) {
        try (PlanLease lease = backend.lease(c.geometry(), PostOp.RELU)) {
            checkFusedRelu(c, lease.plan());
        }
    }

    private static void checkFusedRelu(ConvCases.Case c, ConvPlan plan) {
        float[] ref = c.reference();
        for (int i = 0; i < ref.length; i++) {
            ref[i] = Math.max(ref[i], 0f);
        }
        assertTrue(plan.describe().endsWith("ReLU fused into the kernel's epilogue"), plan.describe());
        ConvCases.assertClose(c + " host", ref, ConvCases.run(plan, c));
        try (DeviceTensor x = DeviceTensor.upload(device, c.input());
             DeviceTensor w = DeviceTensor.upload(device, c.weight());
             DeviceTensor b = c.bias() == null ? null : DeviceTensor.upload(device, c.bias());
             DeviceTensor y = DeviceTensor.allocate(device, c.geometry().outputShape())) {
            y.fill(Float.NaN);
            ((DeviceConvPlan) plan).forward(x, w, b, y);
            ConvCases.assertClose(c + " device", ref, y.download().data());
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"conv_bn_relu_pool", "conv1d_net", "conv1d_unbatched"})
    void fixtureNetworksMatchPyTorch(String name) throws IOException {
        JsonObject c = NetworkFixtures.json("networks.json").getAsJsonObject().getAsJsonObject(name);
        Sequential model = ModelSpec.read(NetworkFixtures.path(c.get("spec").getAsString()));
        model.loadStateDict(NetworkFixtures.path(c.getAsJsonArray("weights").get(0).getAsString()));
        model.setBackend(PtxBackend.NAME);
        Tensor x = Npy.read(NetworkFixtures.path(c.get("input").getAsString()));
        List<String> plan = model.explain(x.shape());
        assertTrue(plan.stream().anyMatch(s -> s.contains("ReLU fused into the kernel's epilogue")), plan.toString());
        OutputComparison.assertClose(name + " on cuda-ptx",
                Npy.read(NetworkFixtures.path(c.get("output").getAsString())), model.forward(x));
    }
}

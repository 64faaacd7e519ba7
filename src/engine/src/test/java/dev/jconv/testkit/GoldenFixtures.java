package dev.jconv.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import dev.jconv.Conv2d;
import dev.jconv.ConvGeometry;
import dev.jconv.ConvValidator;
import dev.jconv.Functional;
import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.ConvPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;

/**
 * The conformance suite every backend runs: each PyTorch golden case ({@code fixtures/manifest.json}) on a
 * backend chosen by name, through three doors, each compared with {@link OutputComparison}
 * ({@code max |out - ref| <= 1e-4 * max(1, max |ref|)}, NaN fails):
 * <ul>
 *   <li>{@link #checkPlan}: the backend's {@link ConvPlan} called directly with an output array poisoned with
 *       NaN, twice on the same plan, and the inputs must come back unchanged;</li>
 *   <li>{@link #checkFunctional}: {@link Functional#conv2d(Tensor, Tensor, Tensor, dev.jconv.ConvParams, String)};</li>
 *   <li>{@link #checkModule}: a {@link Conv2d} built with the case's arguments (padding_mode included),
 *       PyTorch's weight and bias loaded with {@code setWeight}/{@code setBias}.</li>
 * </ul>
 * A backend's test class needs one method:
 * <pre>{@code
 * @TestFactory
 * Stream<DynamicNode> everyGoldenFixture() {
 *     BackendAssumptions.assumeAvailable("cuda-ptx");   // GPU backends: skip with the reason, or fail under JCONV_REQUIRE_GPU=1
 *     return GoldenFixtures.tests("cuda-ptx");
 * }
 * }</pre>
 * A case the backend does not support fails (selection by name throws); that is deliberate.
 */
public final class GoldenFixtures {
    private static volatile List<GoldenCase> cases;

    private GoldenFixtures() {}

    /** Every golden case, in the manifest's order. */
    public static List<GoldenCase> cases() {
        List<GoldenCase> c = cases;
        if (c == null) {
            List<GoldenCase> loaded = new ArrayList<>();
            for (JsonElement e : Fixtures.json("manifest.json").getAsJsonArray("cases")) {
                loaded.add(new GoldenCase(e.getAsJsonObject()));
            }
            cases = c = Collections.unmodifiableList(loaded);
        }
        return c;
    }

    /** The case of that name. */
    public static GoldenCase get(String name) {
        return cases().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no golden case named '" + name + "'"));
    }

    /** One container per case holding its plan, functional and module tests on {@code backend}. */
    public static Stream<DynamicNode> tests(String backend) {
        return cases().stream().map(c -> DynamicContainer.dynamicContainer(c.name(), Stream.of(
                DynamicTest.dynamicTest("plan", () -> checkPlan(c, backend)),
                DynamicTest.dynamicTest("functional", () -> checkFunctional(c, backend)),
                DynamicTest.dynamicTest("module", () -> checkModule(c, backend)))));
    }

    /** Runs every case through every door on {@code backend}; fails listing every case that failed. */
    public static void checkAll(String backend) {
        List<String> failures = new ArrayList<>();
        for (GoldenCase c : cases()) {
            try {
                checkPlan(c, backend);
                checkFunctional(c, backend);
                checkModule(c, backend);
            } catch (AssertionError | RuntimeException e) {
                failures.add(e.getMessage());
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + cases().size() + " golden cases failed on " + backend + ":\n"
                    + String.join("\n", failures));
        }
    }

    /**
     * The plan door for a backend by name: the geometry is validated, the backend selected by name as
     * {@link Backends#select} does (so an unavailable or unsupporting backend fails here) and planned.
     */
    public static void checkPlan(GoldenCase c, String backend) {
        ConvGeometry g = geometry(c);
        checkPlan(c, Backends.select(backend, g).backend());
    }

    /** The plan door for a backend object (also lets tests of this kit hand in a broken backend). */
    public static void checkPlan(GoldenCase c, ConvBackend backend) {
        ConvGeometry g = geometry(c);
        String context = c.describe() + ", backend " + backend.name() + ", ConvPlan.forward on a NaN-poisoned output";
        assertArrayEquals(batched(c.outputShape()), g.outputShape(),
                () -> context + ": geometry output shape " + Shapes.format(g.outputShape()));
        Tensor expected = c.expected();
        if (expected.numel() == 0) {
            return; // nothing to run: Functional never calls a plan for an empty output either
        }
        float[] input = c.input().data().clone();
        float[] weight = c.weight().data().clone();
        float[] bias = c.bias() == null ? null : c.bias().data().clone();
        ConvPlan plan = backend.plan(g);
        for (int run = 1; run <= 2; run++) {
            float[] out = OutputComparison.poisoned(expected.data().length);
            plan.forward(input, weight, bias, out);
            unchanged(context, "input", c.input().data(), input);
            unchanged(context, "weight", c.weight().data(), weight);
            if (bias != null) {
                unchanged(context, "bias", c.bias().data(), bias);
            }
            OutputComparison.assertClose(context + " (run " + run + " of the same plan, " + plan.describe() + ")",
                    expected.data(), out, batched(expected.shape()));
        }
    }

    /** The functional door: {@code Functional.conv2d(input, weight, bias, params, backend)}. */
    public static void checkFunctional(GoldenCase c, String backend) {
        Tensor out = Functional.conv2d(c.input().copy(), c.weight().copy(), c.bias() == null ? null : c.bias().copy(),
                c.layer().params(), backend);
        OutputComparison.assertClose(c.describe() + ", backend " + backend + ", Functional.conv2d", c.expected(), out);
    }

    /** The module door: a {@link Conv2d} with the case's arguments and PyTorch's weight and bias. */
    public static void checkModule(GoldenCase c, String backend) {
        Conv2d conv = c.layer().build(backend, 0L);
        conv.setWeight(c.weight());
        if (c.bias() != null) {
            conv.setBias(c.bias());
        }
        Tensor out = conv.forward(c.input().copy());
        OutputComparison.assertClose(c.describe() + ", backend " + backend + ", Conv2d.forward with setWeight/setBias",
                c.expected(), out);
    }

    /** The case's geometry as the validator resolves it. */
    public static ConvGeometry geometry(GoldenCase c) {
        return ConvValidator.checkForward(c.inputShape(), c.layer().weightShape(), c.layer().biasShape(),
                c.layer().params());
    }

    private static int[] batched(int[] shape) {
        return shape.length == 3 ? new int[] {1, shape[0], shape[1], shape[2]} : shape;
    }

    private static void unchanged(String context, String what, float[] original, float[] afterRun) {
        if (!Arrays.equals(original, afterRun)) {
            fail(context + ": the backend modified its " + what + " array");
        }
    }
}

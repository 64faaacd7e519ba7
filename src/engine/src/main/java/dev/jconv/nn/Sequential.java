package dev.jconv.nn;

import dev.jconv.Conv2d;
import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.ConvolutionPlan;
import dev.jconv.Options;
import dev.jconv.Functional;
import dev.jconv.PostOp;
import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.backend.Backends;
import dev.jconv.backend.ConvBackend;
import dev.jconv.backend.DeviceWorkspace;
import dev.jconv.io.StateDict;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code nn.Sequential} with named children, or any model whose forward runs its children one after another
 * (the seed's {@code SimpleCNN}): modules run in the order added; a name is its {@code state_dict} prefix; the
 * same module may run more than once ({@code SimpleCNN}'s {@code pool}), added again under the same name.
 *
 * <pre>{@code
 * Sequential model = new Sequential("SimpleCNN")
 *         .add("conv1", Conv2d.builder(3, 32, 3).padding(1).build())
 *         .add("relu1", new ReLU())
 *         .add("pool", pool) ...;
 * model.loadStateDict(Path.of("simple_cnn.safetensors"));
 * Tensor logits = model.forward(x);
 * }</pre>
 *
 * <p>Fusion: {@link #forward} runs the network with a convolution's following {@code BatchNorm2d} folded into its
 * weights ({@link BatchNorm2d#fold}, done when the plan is made: at the first forward and again after
 * {@link #loadStateDict}) and its following {@code ReLU} fused into the convolution's output pass
 * ({@link PostOp#RELU}). {@link #explain} names each fusion. Writing into a layer's tensors directly after the
 * first forward is seen by unfused layers at once and by a folded convolution after {@link #refuse()}.
 */
public final class Sequential implements Module {
    private final String name;
    private final List<String> names = new ArrayList<>();
    private final List<Module> modules = new ArrayList<>();
    private boolean fusion = true;
    private volatile List<Step> steps;
    /** The plan on a GPU backend's device for the last input shape, or null ({@link DeviceNetwork}). */
    private DeviceNetwork device;

    /** A model printed and reported as {@code Sequential}. */
    public Sequential() {
        this("Sequential");
    }

    /** A model named as its Python class is (the name PyTorch's load errors and repr use). */
    public Sequential(String name) {
        this.name = name;
    }

    /**
     * Appends {@code module} under {@code name}. A name already used must come with the very same module (it then
     * runs again, sharing its parameters); any other reuse of a name is an error.
     */
    public synchronized Sequential add(String name, Module module) {
        int at = names.indexOf(name);
        if (at >= 0 && modules.get(at) != module) {
            throw new IllegalArgumentException("name '" + name + "' is already used by another module ("
                    + modules.get(at) + "); a module may run twice only under the same name");
        }
        if (name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("module name can't contain \".\", got: " + name);
        }
        names.add(name);
        modules.add(module);
        invalidate();
        return this;
    }

    /** The modules in run order, by name (a name appears once per run). */
    public List<Map.Entry<String, Module>> children() {
        List<Map.Entry<String, Module>> c = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            c.add(Map.entry(names.get(i), modules.get(i)));
        }
        return c;
    }

    /** Turns fusion off (every module runs on its own, as written) or on again; for measuring it. */
    public Sequential fusion(boolean on) {
        this.fusion = on;
        invalidate();
        return this;
    }

    /** Rebuilds the fused plan from the layers' current tensors (needed only after writing into them directly). */
    public void refuse() {
        invalidate();
    }

    /** Frees the device memory a network run on a GPU backend keeps (weights and buffers); the next forward makes it again. */
    public synchronized void releaseDevice() {
        if (device != null) {
            device.close();
            device = null;
        }
    }

    private synchronized void invalidate() {
        steps = null;
        releaseDevice();
    }

    /**
     * The device plan for {@code inputShape}, made on first use and kept for the last shape, or null when the
     * network runs on the host: its convolutions are not all set to the same backend, or that backend runs on host
     * memory or lends no device workspace ({@link ConvBackend#openDeviceWorkspace()}).
     */
    private synchronized DeviceNetwork deviceNetwork(int[] inputShape) {
        if (device != null && Arrays.equals(device.inputShape(), inputShape)) {
            return device;
        }
        String backend = sharedBackend();
        if (backend == null) {
            return null;
        }
        ConvBackend gpu = Backends.byName(backend);
        if (!gpu.availability().available()) {
            return null;  // the convolutions then fail with the backend's own "unavailable" error
        }
        DeviceWorkspace workspace = gpu.openDeviceWorkspace();
        if (workspace == null) {
            return null;
        }
        releaseDevice();
        device = new DeviceNetwork(steps(), inputShape, workspace, backend);
        return device;
    }

    /** Whether the first convolution of {@code plan} runs on device memory on {@code backend} (a GPU backend). */
    private static boolean copiesPerLayer(List<Step> plan, int[] inputShape, String backend) {
        int[] shape = inputShape;
        for (Step s : plan) {
            if (s instanceof ConvStep c) {
                return c.runsOnDevice(shape, backend);
            }
            shape = s.outputShape(shape);
        }
        return false;
    }

    /** The backend every convolution and Linear is set to, or null if they differ, use auto, or there are none. */
    private String sharedBackend() {
        String shared = null;
        for (Module m : unique().values()) {
            String b = m instanceof Conv2d c ? c.backend() : m instanceof Conv1d c ? c.backend()
                    : m instanceof Linear l ? l.backend() : null;
            if (b == null) {
                continue;
            }
            if (Backends.AUTO.equals(b) || (shared != null && !shared.equals(b))) {
                return null;
            }
            shared = b;
        }
        return shared;
    }

    /**
     * Runs the network. When every convolution, {@code Linear} included, is set to one GPU backend that lends
     * device workspaces ({@code cuda-ptx}), the whole network runs on its device ({@link #explain} says
     * {@code on device: 1 upload, 1 download}); a layer that has no device kernel then fails by name rather than
     * copying to the host; forwards of one model on the device run one at a time (they share its buffers).
     * Otherwise each module runs on its own backend, a GPU one copying per convolution.
     */
    @Override
    public Tensor forward(Tensor input) {
        synchronized (this) {  // one device plan (one set of buffers) at a time: another shape must not close it mid-run
            DeviceNetwork d = deviceNetwork(input.shape());
            if (d != null) {
                return d.forward(input);
            }
        }
        Tensor x = input;
        for (Step s : steps()) {
            x = s.forward(x);
        }
        return x;
    }

    @Override
    public int[] outputShape(int... inputShape) {
        int[] shape = inputShape;
        for (Module m : modules) {
            shape = m.outputShape(shape);
        }
        return shape;
    }

    /** Sets the backend of every module that computes through the conv backends. */
    @Override
    public void setBackend(String backend) {
        unique().values().forEach(m -> m.setBackend(backend));
        invalidate();
    }

    /** Parameters by full {@code state_dict} name ({@code conv1.weight}), each shared module once. */
    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        unique().forEach((n, m) -> m.parameters().forEach((k, t) -> p.put(n + "." + k, t)));
        return p;
    }

    @Override
    public Map<String, Tensor> buffers() {
        Map<String, Tensor> b = new LinkedHashMap<>();
        unique().forEach((n, m) -> m.buffers().forEach((k, t) -> b.put(n + "." + k, t)));
        return b;
    }

    @Override
    public Set<String> optionalKeys() {
        Set<String> o = new LinkedHashSet<>();
        unique().forEach((n, m) -> m.optionalKeys().forEach(k -> o.add(n + "." + k)));
        return o;
    }

    /** {@code model.state_dict()}: parameters and buffers of each module in turn, by full name. */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        unique().forEach((n, m) -> {
            m.parameters().forEach((k, t) -> sd.put(n + "." + k, t));
            m.buffers().forEach((k, t) -> sd.put(n + "." + k, t));
        });
        return sd;
    }

    /** Reads {@code file} ({@code .safetensors} or {@code .npz}) and loads it strictly ({@link #loadStateDict(StateDict)}). */
    public void loadStateDict(Path file) throws IOException {
        loadStateDict(StateDict.read(file));
    }

    /**
     * {@code model.load_state_dict(state_dict, strict=True)}: every key of {@link #stateDict()} must be present with
     * its shape and no other key may be, or nothing is loaded and the error lists every problem in PyTorch's
     * words. Integer entries are accepted only where the model has an optional key ({@code num_batches_tracked}).
     * Values are copied into the layers' tensors, then the fused plan is rebuilt.
     */
    public synchronized void loadStateDict(StateDict state) {
        Map<String, Tensor> own = stateDict();
        Set<String> optional = optionalKeys();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatches = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : own.entrySet()) {
            Tensor given = state.tensors().get(e.getKey());
            if (given == null && !state.integerKeys().contains(e.getKey())) {
                missing.add(e.getKey());
            } else if (given == null) {
                mismatches.add("expected a floating-point tensor for " + e.getKey()
                        + ", but the checkpoint holds an integer one.");
            } else if (!Arrays.equals(given.shape(), e.getValue().shape())) {
                mismatches.add(NnValidator.sizeMismatch(e.getKey(), given.shape(), e.getValue().shape()));
            }
        }
        for (String key : state.keys()) {
            if (!own.containsKey(key) && !optional.contains(key)) {
                unexpected.add(key);
            }
        }
        String errors = NnValidator.loadErrors(name, missing, unexpected, mismatches);
        if (errors != null) {
            throw new IllegalArgumentException(errors);
        }
        // copyFrom: counted as a write, so the module's own tensors keep their versions (Tensor)
        own.forEach((key, t) -> t.copyFrom(state.tensors().get(key).toArray(), 0));
        invalidate();
    }

    /**
     * One line per step of the (fused) plan for an input of {@code inputShape}: the modules it covers, what was
     * fused and how, the output shape, and for convolutions the backend and plan that run it.
     */
    public List<String> explain(int... inputShape) {
        List<String> lines = new ArrayList<>();
        DeviceNetwork d = deviceNetwork(inputShape);
        List<String> onDevice = d == null ? null : d.stepDescriptions();
        if (d != null) {
            lines.add(d.describe());
        }
        int[] shape = inputShape;
        List<Step> plan = steps();
        String backend = d == null ? sharedBackend() : null;
        if (backend != null && copiesPerLayer(plan, inputShape, backend)) {
            lines.add("per layer: " + backend + " runs convolutions on device memory but lends no workspace for the"
                    + " layers between them, so each convolution uploads its input and downloads its output and the"
                    + " other modules run on the host");
        }
        for (int i = 0; i < plan.size(); i++) {
            Step s = plan.get(i);
            String how = s.describe(shape) + (onDevice == null ? "" : "; " + onDevice.get(i));
            shape = s.outputShape(shape);
            lines.add(String.join(" + ", s.names()) + " -> " + Shapes.format(shape) + ": " + how);
        }
        return lines;
    }

    /** One row of {@link #summary}: a module's run, its output shape and its parameter count. */
    public record LayerSummary(String name, String type, int[] outputShape, long parameters) {}

    /**
     * The model summary for {@code inputShape}: each module run in order with its output shape and parameter
     * count (a module that runs twice counts its parameters once, on its first run); the total is
     * {@link #parameterCount()}.
     */
    public List<LayerSummary> summary(int... inputShape) {
        List<LayerSummary> rows = new ArrayList<>();
        Set<Module> counted = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        int[] shape = inputShape;
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            shape = m.outputShape(shape);
            rows.add(new LayerSummary(names.get(i), m.getClass().getSimpleName(), shape,
                    counted.add(m) ? m.parameterCount() : 0));
        }
        return rows;
    }

    /** PyTorch's repr: the class name, then each child once as {@code (name): repr}, indented. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(name).append('(');
        unique().forEach((n, m) -> s.append("\n  (").append(n).append("): ")
                .append(m.toString().replace("\n", "\n  ")));
        return s.append(unique().isEmpty() ? ")" : "\n)").toString();
    }

    public String name() {
        return name;
    }

    /** Each module once, under its name, in first-run order. */
    private Map<String, Module> unique() {
        Map<String, Module> u = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            u.putIfAbsent(names.get(i), modules.get(i));
        }
        return u;
    }

    // ---- the fused plan ----

    private List<Step> steps() {
        List<Step> s = steps;
        if (s == null) {
            s = plan();
            steps = s;
        }
        return s;
    }

    /** Groups Conv -> BatchNorm2d -> ReLU runs into fused convolution steps; everything else runs as it is. */
    private synchronized List<Step> plan() {
        List<Step> plan = new ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            if (!fusion || !(m instanceof Conv2d || m instanceof Conv1d)) {
                plan.add(new ModuleStep(names.get(i), m));
                continue;
            }
            List<String> covered = new ArrayList<>(List.of(names.get(i)));
            Tensor weight = m.parameters().get("weight");
            Tensor bias = m.parameters().get("bias");
            String folded = null;
            if (m instanceof Conv2d && i + 1 < modules.size() && modules.get(i + 1) instanceof BatchNorm2d bn
                    && bn.foldable()) {
                Tensor[] wb = bn.fold(weight, bias);
                weight = wb[0];
                bias = wb[1];
                folded = names.get(++i);
                covered.add(folded);
            }
            PostOp post = PostOp.NONE;
            if (i + 1 < modules.size() && modules.get(i + 1) instanceof ReLU) {
                post = PostOp.RELU;
                covered.add(names.get(++i));
            }
            plan.add(new ConvStep(covered, m, weight, bias, folded, post));
        }
        return List.copyOf(plan);
    }

    /** One step of the plan: one module, or a convolution with what was fused into it. */
    interface Step {
        List<String> names();

        Tensor forward(Tensor input);

        int[] outputShape(int[] inputShape);

        String describe(int[] inputShape);
    }

    record ModuleStep(String name, Module module) implements Step {
        @Override
        public List<String> names() {
            return List.of(name);
        }

        @Override
        public Tensor forward(Tensor input) {
            return module.forward(input);
        }

        @Override
        public int[] outputShape(int[] inputShape) {
            return module.outputShape(inputShape);
        }

        @Override
        public String describe(int[] inputShape) {
            return module.toString();
        }
    }

    /**
     * A Conv2d or Conv1d with its weights (folded with the BatchNorm named {@code foldedNorm}, or its own) and the
     * post-op its plan applies as it writes the output.
     */
    record ConvStep(List<String> names, Module conv, Tensor weight, Tensor bias, String foldedNorm,
                            PostOp postOp) implements Step {
        @Override
        public Tensor forward(Tensor input) {
            // unfolded: the layer's tensors as they are now (a setter may have replaced them since planning)
            Tensor w = foldedNorm == null ? conv.parameters().get("weight") : weight;
            Tensor b = foldedNorm == null ? conv.parameters().get("bias") : bias;
            if (conv instanceof Conv2d c2) {
                return Functional.conv2d(input, w, b, c2.params(), c2.backend(), postOp);
            }
            return ((Conv1d) conv).forward(input, w, b, postOp);
        }

        @Override
        public int[] outputShape(int[] inputShape) {
            return conv.outputShape(inputShape);
        }

        @Override
        public String describe(int[] inputShape) {
            conv.outputShape(inputShape);  // the layer's own error for a bad shape
            int[] b = bias == null ? null : bias.shape();
            ConvGeometry g;
            String backend;
            if (conv instanceof Conv2d c2) {
                g = ConvValidator.checkForward(inputShape, weight.shape(), b, c2.params());
                backend = c2.backend();
            } else {
                Conv1d c1 = (Conv1d) conv;
                g = ConvValidator.checkForward1d(inputShape, weight.shape(), b, c1.params());
                backend = c1.backend();
            }
            String fused = (foldedNorm == null ? "" : foldedNorm + " folded into the weights and bias at load"
                    + " (fuse_conv_bn_weights); ") + (postOp == PostOp.NONE ? "" : names.get(names.size() - 1)
                    + " fused into the convolution's output pass; ");
            ConvParams params = conv instanceof Conv2d c2 ? c2.params() : ((Conv1d) conv).params();
            return conv + ": " + fused + Functional.describe(g, b != null, params, backend, postOp);
        }

        /** Whether its backend runs this convolution on device memory (a GPU backend), for {@code inputShape}. */
        boolean runsOnDevice(int[] inputShape, String backend) {
            int[] b = bias == null ? null : bias.shape();
            ConvParams params = conv instanceof Conv2d c2 ? c2.params() : ((Conv1d) conv).params();
            ConvGeometry g = conv instanceof Conv2d ? ConvValidator.checkForward(inputShape, weight.shape(), b, params)
                    : ConvValidator.checkForward1d(inputShape, weight.shape(), b, params);
            try (ConvolutionPlan plan = ConvolutionPlan.create(g.inputShape(), g.weightShape(), b, params,
                    Options.defaults().withBackend(backend), postOp)) {
                return plan.runsOnDevice();
            }
        }
    }
}

package dev.jconv.nn;

import dev.jconv.Conv2d;
import dev.jconv.ConvGeometry;
import dev.jconv.ConvParams;
import dev.jconv.ConvValidator;
import dev.jconv.ConvolutionPlan;
import dev.jconv.DeviceTensorRef;
import dev.jconv.Options;
import dev.jconv.PostOp;
import dev.jconv.Shapes;
import dev.jconv.Tensor;
import dev.jconv.backend.DeviceWorkspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link Sequential}'s plan run on one GPU backend for one input shape with everything on the device: the input
 * is uploaded once, each step reads and writes device memory (two buffers the size of the largest intermediate,
 * used in turn; ReLU in place; Flatten a new shape over the same memory), all on the workspace's one stream,
 * and the output is downloaded once. Weights are uploaded when this is made (BatchNorm folded, or, standing alone,
 * as a depthwise 1x1 convolution with weight {@code gamma / sqrt(var + eps)} and bias {@code beta - mean * scale});
 * {@code Linear} is a 1x1 convolution on the {@code (rows, in_features, 1, 1)} view of its contiguous input. A
 * step that cannot run on the device fails here, by name, instead of copying to the host.
 */
final class DeviceNetwork implements AutoCloseable {
    /** One step on device memory: reads {@code input}, returns its output (in {@code spare} or a view). */
    private interface Op {
        DeviceTensorRef run(DeviceTensorRef input, DeviceTensorRef spare);
    }

    private final int[] inputShape;
    private final int[] outputShape;
    private final DeviceWorkspace workspace;
    private final List<ConvolutionPlan> plans = new ArrayList<>();
    private final List<Op> ops = new ArrayList<>();
    private final List<String> descriptions = new ArrayList<>();
    private final DeviceTensorRef input;
    private final DeviceTensorRef[] pingPong = new DeviceTensorRef[2];

    /** Prepares {@code steps} for {@code inputShape} on {@code backend}'s device; closes what it made if that fails. */
    DeviceNetwork(List<Sequential.Step> steps, int[] inputShape, DeviceWorkspace workspace, String backendName) {
        this.inputShape = inputShape.clone();
        this.workspace = workspace;
        try {
            Options options = Options.defaults().withBackend(backendName);
            long largest = 1;
            int[] shape = inputShape;
            for (Sequential.Step s : steps) {
                int[] out = s.outputShape(shape);
                ops.add(prepare(s, shape, out, options));
                largest = Math.max(largest, numel(out));
                shape = out;
            }
            this.outputShape = shape;
            this.input = workspace.allocate(inputShape);
            pingPong[0] = workspace.allocate(Math.toIntExact(largest));
            pingPong[1] = workspace.allocate(Math.toIntExact(largest));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    int[] inputShape() {
        return inputShape.clone();
    }

    /** Where the network runs, one line for {@code explain}. */
    String describe() {
        return "on device: 1 upload, 1 download, intermediates in device memory on one stream ("
                + workspace.describe() + ")";
    }

    /** How each step runs on the device, one line per step of the plan. */
    List<String> stepDescriptions() {
        return List.copyOf(descriptions);
    }

    /** One upload, every step on the stream, one download (which waits for the stream). */
    synchronized Tensor forward(Tensor x) {
        workspace.upload(x, input);
        DeviceTensorRef current = input;
        for (Op op : ops) {
            DeviceTensorRef spare = current.address() == pingPong[0].address() ? pingPong[1] : pingPong[0];
            current = op.run(current, spare);
        }
        Tensor out = Tensor.zeros(outputShape);
        workspace.download(current, out);
        return out;
    }

    @Override
    public synchronized void close() {
        plans.forEach(ConvolutionPlan::close);
        plans.clear();
        if (workspace != null) {
            workspace.close();
        }
    }

    private Op prepare(Sequential.Step step, int[] in, int[] out, Options options) {
        String name = String.join(" + ", step.names());
        if (step instanceof Sequential.ConvStep c) {
            descriptions.add("convolution on device memory");
            // unfolded: the layer's tensors as they are now, as on the host
            return c.foldedNorm() == null
                    ? convolution(c.conv(), c.conv().parameters().get("weight"), c.conv().parameters().get("bias"),
                            c.postOp(), in, out, options)
                    : convolution(c.conv(), c.weight(), c.bias(), c.postOp(), in, out, options);
        }
        Module m = ((Sequential.ModuleStep) step).module();
        if (m instanceof Conv2d || m instanceof Conv1d) {
            descriptions.add("convolution on device memory");
            return convolution(m, m.parameters().get("weight"), m.parameters().get("bias"), PostOp.NONE, in, out,
                    options);
        }
        if (m instanceof ReLU) {
            descriptions.add("relu kernel, in place");
            return (x, spare) -> {
                workspace.relu(x, x);
                return view(x, out);
            };
        }
        if (m instanceof Flatten) {
            descriptions.add("a new shape over the same device memory");
            return (x, spare) -> view(x, out);
        }
        if (m instanceof MaxPool2d pool) {
            descriptions.add("max_pool2d kernel");
            int[][] w = pool.window();
            return (x, spare) -> {
                DeviceTensorRef y = view(spare, batched(out));
                workspace.maxPool2d(view(x, batched(in)), y, w[0], w[1], w[2], w[3]);
                return view(y, out);
            };
        }
        if (m instanceof Linear linear) {
            descriptions.add("1x1 convolution on the (rows, in_features, 1, 1) view");
            long rows = numel(in) / Math.max(1, in[in.length - 1]);
            int[] pixels = {Math.toIntExact(rows), in[in.length - 1], 1, 1};
            Tensor w = linear.weight();
            return plannedConvolution(pixels, w.reshape(w.size(0), w.size(1), 1, 1), linear.bias(),
                    ConvParams.defaults(), options, PostOp.NONE, out);
        }
        if (m instanceof BatchNorm2d bn) {
            if (!bn.foldable()) {
                throw new UnsupportedOperationException(name + ": " + bn + " without running statistics normalises"
                        + " with each batch's own statistics, which does not run on the device; run the network on a"
                        + " host backend");
            }
            descriptions.add("per-channel affine as a depthwise 1x1 convolution");
            int channels = in[1];
            Tensor ones = Tensor.zeros(channels, 1, 1, 1);
            Arrays.fill(ones.data(), 1f);
            Tensor[] affine = bn.fold(ones, null);
            return plannedConvolution(in, affine[0], affine[1], ConvParams.defaults().withGroups(channels), options,
                    PostOp.NONE, out);
        }
        throw new UnsupportedOperationException(name + ": " + m.getClass().getSimpleName()
                + " has no device kernel, so this network cannot stay on the device; run it on a host backend");
    }

    /** A Conv2d or Conv1d layer with weight {@code w} and bias {@code b} (its own, or folded). */
    private Op convolution(Module conv, Tensor w, Tensor b, PostOp postOp, int[] in, int[] out, Options options) {
        int[] biasShape = b == null ? null : b.shape();
        ConvGeometry g;
        ConvParams params;
        if (conv instanceof Conv2d c2) {
            params = c2.params();
            g = ConvValidator.checkForward(in, w.shape(), biasShape, params);
        } else {
            params = ((Conv1d) conv).params();
            g = ConvValidator.checkForward1d(in, w.shape(), biasShape, params);
        }
        return plannedConvolution(g.inputShape(), w.reshape(g.weightShape()), b, params, options, postOp, out);
    }

    /** A convolution planned for {@code in} (batched NCHW) with its weights uploaded now. */
    private Op plannedConvolution(int[] in, Tensor weight, Tensor bias, ConvParams params, Options options,
                                  PostOp postOp, int[] out) {
        ConvolutionPlan plan = ConvolutionPlan.create(in, weight.shape(), bias == null ? null : bias.shape(), params,
                options, postOp);
        plans.add(plan);
        if (!plan.runsOnDevice()) {
            throw new UnsupportedOperationException("backend " + plan.backend() + " does not run this convolution on"
                    + " device memory (" + plan.describe() + ")");
        }
        DeviceTensorRef w = upload(weight);
        DeviceTensorRef b = bias == null ? null : upload(bias);
        int[] planned = plan.geometry().outputShape();
        return (x, spare) -> {
            DeviceTensorRef y = view(spare, planned);
            plan.forward(view(x, in), w, b, y, workspace.stream());
            return view(y, out);
        };
    }

    private DeviceTensorRef upload(Tensor t) {
        DeviceTensorRef d = workspace.allocate(t.shape());
        workspace.upload(t, d);
        return d;
    }

    /** The same memory as {@code t} with {@code shape} (as many elements or fewer: a ping-pong buffer). */
    private static DeviceTensorRef view(DeviceTensorRef t, int[] shape) {
        if (numel(shape) > t.numel()) {
            throw new IllegalStateException("shape " + Shapes.format(shape) + " does not fit in " + t);
        }
        return DeviceTensorRef.of(t.address(), t.deviceIndex(), shape);
    }

    /** {@code (C, H, W)} as {@code (1, C, H, W)}; a batched shape as it is. */
    private static int[] batched(int[] shape) {
        if (shape.length == 4) {
            return shape;
        }
        int[] b = new int[4];
        b[0] = 1;
        System.arraycopy(shape, 0, b, 1, 3);
        return b;
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}

package dev.jconv.nn;

import dev.jconv.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code nn.BatchNorm2d(num_features, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)} for
 * inference ({@code model.eval()}): {@code y = (x - running_mean) / sqrt(running_var + eps) * weight + bias} per
 * channel of {@code (N, C, H, W)}. Without running statistics ({@code track_running_stats=False}) it normalises
 * with the batch's own mean and biased variance, as PyTorch does in eval mode then. {@code momentum} only
 * matters for training and is kept for the repr.
 *
 * <p>After a {@link dev.jconv.Conv2d} in a {@link Sequential} it is folded into the convolution's weights
 * ({@link #fold}), so it costs nothing at run time.
 */
public final class BatchNorm2d implements Module {
    private static final String NUM_BATCHES_TRACKED = "num_batches_tracked";

    private final int numFeatures;
    private final double eps;
    private final Double momentum;
    private final Tensor weight;
    private final Tensor bias;
    private final Tensor runningMean;
    private final Tensor runningVar;

    public BatchNorm2d(int numFeatures) {
        this(numFeatures, 1e-5, 0.1, true, true);
    }

    /** Every argument; {@code momentum} may be null (PyTorch's cumulative moving average). */
    public BatchNorm2d(int numFeatures, double eps, Double momentum, boolean affine, boolean trackRunningStats) {
        NnValidator.nonNegativeShape(numFeatures);
        this.numFeatures = numFeatures;
        this.eps = eps;
        this.momentum = momentum;
        this.weight = affine ? filled(numFeatures, 1f) : null;
        this.bias = affine ? Tensor.zeros(numFeatures) : null;
        this.runningMean = trackRunningStats ? Tensor.zeros(numFeatures) : null;
        this.runningVar = trackRunningStats ? filled(numFeatures, 1f) : null;
    }

    private static Tensor filled(int n, float value) {
        Tensor t = Tensor.zeros(n);
        java.util.Arrays.fill(t.data(), value);
        return t;
    }

    @Override
    public Tensor forward(Tensor input) {
        int[] shape = outputShape(input.shape());
        int channels = shape[1];
        int plane = shape[2] * shape[3];
        double[][] scaleShift = runningMean != null ? scaleShift(runningMean.data(), runningVar.data())
                : batchScaleShift(input, channels, plane);
        Tensor out = Tensor.zeros(shape);
        float[] x = input.data();
        float[] y = out.data();
        for (int n = 0; n < shape[0]; n++) {
            for (int c = 0; c < channels; c++) {
                float scale = (float) scaleShift[0][c];
                float shift = (float) scaleShift[1][c];
                for (int i = (n * channels + c) * plane, end = i + plane; i < end; i++) {
                    y[i] = x[i] * scale + shift;
                }
            }
        }
        return out;
    }

    /** Per channel {@code scale = weight / sqrt(var + eps)} and {@code shift = bias - mean * scale}. */
    private double[][] scaleShift(float[] mean, float[] var) {
        double[] scale = new double[mean.length];
        double[] shift = new double[mean.length];
        for (int c = 0; c < mean.length; c++) {
            double invStd = 1.0 / Math.sqrt(var[c] + eps);
            scale[c] = (weight == null ? 1.0 : weight.data()[c]) * invStd;
            shift[c] = (bias == null ? 0.0 : bias.data()[c]) - mean[c] * scale[c];
        }
        return new double[][] {scale, shift};
    }

    private double[][] batchScaleShift(Tensor input, int channels, int plane) {
        float[] x = input.data();
        int batch = input.size(0);
        float[] mean = new float[channels];
        float[] var = new float[channels];
        long count = (long) batch * plane;
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            double squares = 0;
            for (int n = 0; n < batch; n++) {
                for (int i = (n * channels + c) * plane, end = i + plane; i < end; i++) {
                    sum += x[i];
                }
            }
            double m = sum / count;
            for (int n = 0; n < batch; n++) {
                for (int i = (n * channels + c) * plane, end = i + plane; i < end; i++) {
                    squares += (x[i] - m) * (x[i] - m);
                }
            }
            mean[c] = (float) m;
            var[c] = (float) (squares / count);
        }
        return scaleShift(mean, var);
    }

    /**
     * Whether {@link #fold} applies: with running statistics the normalisation is a fixed per-channel affine
     * map; without, it depends on the batch.
     */
    public boolean foldable() {
        return runningMean != null;
    }

    /**
     * PyTorch's {@code torch.nn.utils.fusion.fuse_conv_bn_weights}: the weight and bias of one convolution
     * followed by this normalisation, {@code W' = W * (gamma / sqrt(var + eps))} per output channel and
     * {@code b' = (b - mean) * gamma / sqrt(var + eps) + beta} (a missing conv bias counts as zero), computed in
     * double and rounded once. Returns {@code {W', b'}}, new tensors; the inputs are not changed.
     */
    public Tensor[] fold(Tensor convWeight, Tensor convBias) {
        if (!foldable()) {
            throw new IllegalStateException("BatchNorm2d without running statistics normalises with each batch's own"
                    + " statistics and cannot be folded into a convolution");
        }
        if (convWeight.size(0) != numFeatures) {
            throw new IllegalArgumentException("cannot fold " + this + " into a convolution with "
                    + convWeight.size(0) + " output channels");
        }
        double[][] ss = scaleShift(runningMean.data(), runningVar.data());
        float[] wd = convWeight.toArray();
        int perChannel = (int) (wd.length / numFeatures);
        float[] bd = new float[numFeatures];
        for (int k = 0; k < numFeatures; k++) {
            for (int i = k * perChannel, end = i + perChannel; i < end; i++) {
                wd[i] = (float) (wd[i] * ss[0][k]);
            }
            double convB = convBias == null ? 0.0 : convBias.get(k);
            bd[k] = (float) (convB * ss[0][k] + ss[1][k]);
        }
        // copies of their own: the folded weight keeps a version, prepared once by the plans (Tensor)
        return new Tensor[] {Tensor.copyOf(wd, convWeight.shape()), Tensor.copyOf(bd, numFeatures)};
    }

    @Override
    public int[] outputShape(int... inputShape) {
        NnValidator.checkBatchNorm2d(inputShape, numFeatures,
                runningMean != null ? "running_mean" : weight != null ? "weight" : null);
        return inputShape.clone();
    }

    @Override
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        if (weight != null) {
            p.put("weight", weight);
            p.put("bias", bias);
        }
        return p;
    }

    @Override
    public Map<String, Tensor> buffers() {
        Map<String, Tensor> b = new LinkedHashMap<>();
        if (runningMean != null) {
            b.put("running_mean", runningMean);
            b.put("running_var", runningVar);
        }
        return b;
    }

    @Override
    public Set<String> optionalKeys() {
        return runningMean != null ? Set.of(NUM_BATCHES_TRACKED) : Set.of();
    }

    /** PyTorch's repr, e.g. {@code BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)}. */
    @Override
    public String toString() {
        return "BatchNorm2d(" + numFeatures + ", eps=" + PythonRepr.ofDouble(eps) + ", momentum="
                + (momentum == null ? "None" : PythonRepr.ofDouble(momentum)) + ", affine="
                + PythonRepr.ofBoolean(weight != null) + ", track_running_stats="
                + PythonRepr.ofBoolean(runningMean != null) + ")";
    }
}

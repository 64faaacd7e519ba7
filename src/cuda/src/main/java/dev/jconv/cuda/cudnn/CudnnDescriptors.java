package dev.jconv.cuda.cudnn;

import jcuda.jcudnn.JCudnn;
import jcuda.jcudnn.cudnnActivationDescriptor;
import jcuda.jcudnn.cudnnActivationMode;
import jcuda.jcudnn.cudnnConvolutionDescriptor;
import jcuda.jcudnn.cudnnConvolutionMode;
import jcuda.jcudnn.cudnnDataType;
import jcuda.jcudnn.cudnnFilterDescriptor;
import jcuda.jcudnn.cudnnNanPropagation;
import jcuda.jcudnn.cudnnTensorDescriptor;
import jcuda.jcudnn.cudnnTensorFormat;

/**
 * The cuDNN descriptors of one plan, built once from a {@link CudnnConvShape}: input x, filter w, output
 * y (NCHW float), the bias (1, K, 1, 1), the identity activation of the fused bias call, and the
 * convolution (cross-correlation, PyTorch's convention; fp32 compute; group count; math type). Closing
 * destroys what was created; a failure part-way through construction destroys what was made so far.
 */
final class CudnnDescriptors implements AutoCloseable {
    final cudnnTensorDescriptor x = new cudnnTensorDescriptor();
    final cudnnFilterDescriptor w = new cudnnFilterDescriptor();
    final cudnnTensorDescriptor y = new cudnnTensorDescriptor();
    final cudnnTensorDescriptor bias = new cudnnTensorDescriptor();
    final cudnnActivationDescriptor identity = new cudnnActivationDescriptor();
    /** ReLU for the fused Conv-ReLU post-op; NaN propagates, as {@code torch.relu} keeps NaN. */
    final cudnnActivationDescriptor relu = new cudnnActivationDescriptor();
    final cudnnConvolutionDescriptor conv = new cudnnConvolutionDescriptor();
    private final CudnnConvShape shape;
    private boolean xMade, wMade, yMade, biasMade, identityMade, reluMade, convMade, closed;
    private int mathType;

    CudnnDescriptors(CudnnConvShape s, int mathType) {
        this.shape = s;
        try {
            int nchw = cudnnTensorFormat.CUDNN_TENSOR_NCHW;
            int f32 = cudnnDataType.CUDNN_DATA_FLOAT;
            Cudnn.check(JCudnn.cudnnCreateTensorDescriptor(x), "cudnnCreateTensorDescriptor");
            xMade = true;
            Cudnn.check(JCudnn.cudnnSetTensor4dDescriptor(x, nchw, f32, s.n(), s.c(), s.h(), s.w()),
                    "cudnnSetTensor4dDescriptor(x [" + s.n() + ", " + s.c() + ", " + s.h() + ", " + s.w() + "])");
            Cudnn.check(JCudnn.cudnnCreateFilterDescriptor(w), "cudnnCreateFilterDescriptor");
            wMade = true;
            Cudnn.check(JCudnn.cudnnSetFilter4dDescriptor(w, f32, nchw, s.k(), s.cPerGroup(), s.r(), s.s()),
                    "cudnnSetFilter4dDescriptor(w [" + s.k() + ", " + s.cPerGroup() + ", " + s.r() + ", " + s.s() + "])");
            Cudnn.check(JCudnn.cudnnCreateTensorDescriptor(y), "cudnnCreateTensorDescriptor");
            yMade = true;
            Cudnn.check(JCudnn.cudnnSetTensor4dDescriptor(y, nchw, f32, s.n(), s.k(), s.outH(), s.outW()),
                    "cudnnSetTensor4dDescriptor(y [" + s.n() + ", " + s.k() + ", " + s.outH() + ", " + s.outW() + "])");
            Cudnn.check(JCudnn.cudnnCreateTensorDescriptor(bias), "cudnnCreateTensorDescriptor");
            biasMade = true;
            Cudnn.check(JCudnn.cudnnSetTensor4dDescriptor(bias, nchw, f32, 1, s.k(), 1, 1),
                    "cudnnSetTensor4dDescriptor(bias [1, " + s.k() + ", 1, 1])");
            Cudnn.check(JCudnn.cudnnCreateActivationDescriptor(identity), "cudnnCreateActivationDescriptor");
            identityMade = true;
            Cudnn.check(JCudnn.cudnnSetActivationDescriptor(identity, cudnnActivationMode.CUDNN_ACTIVATION_IDENTITY,
                    cudnnNanPropagation.CUDNN_NOT_PROPAGATE_NAN, 0.0), "cudnnSetActivationDescriptor(IDENTITY)");
            Cudnn.check(JCudnn.cudnnCreateActivationDescriptor(relu), "cudnnCreateActivationDescriptor");
            reluMade = true;
            Cudnn.check(JCudnn.cudnnSetActivationDescriptor(relu, cudnnActivationMode.CUDNN_ACTIVATION_RELU,
                    cudnnNanPropagation.CUDNN_PROPAGATE_NAN, 0.0), "cudnnSetActivationDescriptor(RELU)");
            Cudnn.check(JCudnn.cudnnCreateConvolutionDescriptor(conv), "cudnnCreateConvolutionDescriptor");
            convMade = true;
            Cudnn.check(JCudnn.cudnnSetConvolution2dDescriptor(conv, s.padH(), s.padW(), s.strideH(), s.strideW(),
                    s.dilationH(), s.dilationW(), cudnnConvolutionMode.CUDNN_CROSS_CORRELATION, f32),
                    "cudnnSetConvolution2dDescriptor(" + s.describe() + ")");
            Cudnn.check(JCudnn.cudnnSetConvolutionGroupCount(conv, s.groups()),
                    "cudnnSetConvolutionGroupCount(" + s.groups() + ")");
            setMathType(mathType);
            checkOutputShape();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    void setMathType(int mathType) {
        Cudnn.check(JCudnn.cudnnSetConvolutionMathType(conv, mathType), "cudnnSetConvolutionMathType(" + mathType + ")");
        this.mathType = mathType;
    }

    /** The math type last set on the convolution descriptor. */
    int mathType() {
        return mathType;
    }

    /** cuDNN must agree with PyTorch's output size; a mismatch is a bug in the shape mapping, caught before any run. */
    private void checkOutputShape() {
        int[] n = new int[1];
        int[] c = new int[1];
        int[] h = new int[1];
        int[] wo = new int[1];
        Cudnn.check(JCudnn.cudnnGetConvolution2dForwardOutputDim(conv, x, w, n, c, h, wo),
                "cudnnGetConvolution2dForwardOutputDim(" + shape.describe() + ")");
        if (n[0] != shape.n() || c[0] != shape.k() || h[0] != shape.outH() || wo[0] != shape.outW()) {
            throw new IllegalStateException("cuDNN computes output [" + n[0] + ", " + c[0] + ", " + h[0] + ", " + wo[0]
                    + "] for " + shape.describe());
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        // destroy everything that was made even if one destroy fails; report the first failure
        RuntimeException first = null;
        first = destroy(convMade, () -> JCudnn.cudnnDestroyConvolutionDescriptor(conv), "cudnnDestroyConvolutionDescriptor", first);
        first = destroy(reluMade, () -> JCudnn.cudnnDestroyActivationDescriptor(relu), "cudnnDestroyActivationDescriptor(relu)", first);
        first = destroy(identityMade, () -> JCudnn.cudnnDestroyActivationDescriptor(identity), "cudnnDestroyActivationDescriptor", first);
        first = destroy(biasMade, () -> JCudnn.cudnnDestroyTensorDescriptor(bias), "cudnnDestroyTensorDescriptor(bias)", first);
        first = destroy(yMade, () -> JCudnn.cudnnDestroyTensorDescriptor(y), "cudnnDestroyTensorDescriptor(y)", first);
        first = destroy(wMade, () -> JCudnn.cudnnDestroyFilterDescriptor(w), "cudnnDestroyFilterDescriptor", first);
        first = destroy(xMade, () -> JCudnn.cudnnDestroyTensorDescriptor(x), "cudnnDestroyTensorDescriptor(x)", first);
        if (first != null) {
            throw first;
        }
    }

    private static RuntimeException destroy(boolean made, java.util.function.IntSupplier call, String name,
                                            RuntimeException first) {
        if (!made) {
            return first;
        }
        try {
            Cudnn.check(call.getAsInt(), name);
            return first;
        } catch (RuntimeException e) {
            return first == null ? e : first;
        }
    }
}

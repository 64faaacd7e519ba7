package dev.jconv.cuda.cublas;

import dev.jconv.ConvGeometry;
import java.util.ArrayList;
import java.util.List;

/**
 * The convolution as cuBLAS matrix products, worked out once per geometry. Pure arithmetic: every
 * dimension, leading dimension, offset and batch stride is computed here and unit-tested on the CPU
 * against a BLAS model.
 *
 * <p>Per image i and group g (Kg = K/G outputs and Cg = C/G inputs per group, P = Hout*Wout pixels,
 * Q = Cg*R*S reduction), row-major:
 * {@code Y[i, g*Kg:(g+1)*Kg, :] (Kg x P) = W_g (Kg x Q) * col[i, g*Q:(g+1)*Q, :] (Q x P)}, with
 * {@code col} the im2col matrix ({@code native-kernels/im2col.cu}: {@code [images][C*R*S][P]}). cuBLAS is
 * column-major, and a row-major {@code X (r x c)} is the column-major {@code X^T (c x r)} with leading
 * dimension c, so each product is issued as {@code Y^T (P x Kg) = col^T (P x Q) * W_g^T (Q x Kg)}: cuBLAS
 * {@code m = P, n = Kg, k = Q}, {@code A = col (lda = P)}, {@code B = W_g (ldb = Q)}, {@code C = Y (ldc = P)},
 * no transposes. A 1x1 stride-1 unpadded convolution needs no im2col: its input already is the column
 * matrix ({@code P = H*W}, {@code Q = Cg}).
 *
 * <p>Batching ({@code cublasSgemmStridedBatched}): one call per group batched over the chunk's images
 * (weights stride 0) when there are no more groups than images, else one call per image batched over
 * the groups; the same products either way, in as few calls as possible. Bias, when given, is written
 * first by a rank-1 product {@code Y^T (P x K) = ones (P x 1) * bias^T (1 x K)} (beta 0), and the main
 * products then accumulate onto it (beta 1): the bias epilogue costs one write of the output and no
 * extra kernel. Without bias the main products use beta 0 (the output is never read, so it may hold anything).
 *
 * <p>Images are processed in chunks of {@link #imagesPerChunk()} so the column matrix stays under
 * {@link #COLUMN_BUDGET_BYTES} (at least one image per chunk).
 */
public record GemmPlan(ConvGeometry geometry, boolean pointwise, int imagesPerChunk) {
    /** Largest column matrix one chunk may use, unless a single image needs more. */
    public static final long COLUMN_BUDGET_BYTES = 256L << 20;
    /** Batches are split so no call exceeds this count (CUDA's grid y/z limit, which some cuBLAS kernels batch on). */
    static final int MAX_BATCH = 65535;

    /** The matrices a call reads and writes. */
    public enum Operand { INPUT, COLUMNS, WEIGHT, BIAS, ONES, OUTPUT }

    /**
     * One {@code cublasSgemmStridedBatched(handle, N, N, m, n, k, 1, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC, batch)}.
     * Offsets and strides are in floats, offsets relative to the start of the named operand.
     */
    public record Call(int m, int n, int k,
                       Operand a, long aOffset, int lda, long strideA,
                       Operand b, long bOffset, int ldb, long strideB,
                       float beta, long cOffset, int ldc, long strideC, int batch) {}

    public static GemmPlan of(ConvGeometry g) {
        return of(g, COLUMN_BUDGET_BYTES);
    }

    static GemmPlan of(ConvGeometry g, long columnBudgetBytes) {
        boolean pointwise = g.isPointwise();
        int chunk = g.batch();
        if (!pointwise && g.batch() > 0) {
            long perImage = columnBytesPerImage(g);
            chunk = (int) Math.max(1, Math.min(g.batch(), perImage == 0 ? g.batch() : columnBudgetBytes / perImage));
        }
        return new GemmPlan(g, pointwise, chunk);
    }

    /** Bytes of im2col matrix per image: {@code 4 * C * R * S * Hout * Wout}. */
    public static long columnBytesPerImage(ConvGeometry g) {
        return 4L * g.inChannels() * g.kernelH() * g.kernelW() * g.outHeight() * g.outWidth();
    }

    /** Device memory the column matrix of one chunk needs (0 for pointwise convolutions). */
    public long columnBytes() {
        return pointwise ? 0 : columnBytesPerImage(geometry) * imagesPerChunk;
    }

    /** Output pixels per image: the GEMM's m. */
    public int pixels() {
        return geometry.outHeight() * geometry.outWidth();
    }

    /** The reduction length: the GEMM's k. */
    public int reduction() {
        return geometry.inChannelsPerGroup() * geometry.kernelH() * geometry.kernelW();
    }

    /** The first image of each chunk, in order. */
    public List<Integer> chunkStarts() {
        List<Integer> starts = new ArrayList<>();
        for (int n0 = 0; n0 < geometry.batch(); n0 += imagesPerChunk) {
            starts.add(n0);
        }
        return starts;
    }

    /**
     * The calls for images {@code [firstImage, firstImage + images)}, in order; the column matrix (if any)
     * holds exactly those images, starting at its offset 0.
     */
    public List<Call> calls(int firstImage, int images, boolean bias) {
        ConvGeometry g = geometry;
        int p = pixels();
        int q = reduction();
        int kg = g.outChannelsPerGroup();
        int groups = g.groups();
        long outImage = (long) g.outChannels() * p;
        Operand a = pointwise ? Operand.INPUT : Operand.COLUMNS;
        long aImage = pointwise ? (long) g.inChannels() * g.inHeight() * g.inWidth() : (long) g.inChannels() * g.kernelH() * g.kernelW() * p;
        long aBase = pointwise ? firstImage * aImage : 0;
        long aGroup = (long) q * p;  // a group's rows are contiguous: Cg*R*S rows of P
        long wGroup = (long) kg * q;
        long cBase = firstImage * outImage;
        long cGroup = (long) kg * p;
        List<Call> calls = new ArrayList<>();
        if (bias) {
            for (int i = 0; i < images; i += MAX_BATCH) {
                calls.add(new Call(p, g.outChannels(), 1, Operand.ONES, 0, p, 0, Operand.BIAS, 0, 1, 0,
                        0f, cBase + i * outImage, p, outImage, Math.min(MAX_BATCH, images - i)));
            }
        }
        float beta = bias ? 1f : 0f;
        if (groups <= images) {
            for (int gi = 0; gi < groups; gi++) {
                for (int i = 0; i < images; i += MAX_BATCH) {
                    calls.add(new Call(p, kg, q, a, aBase + i * aImage + gi * aGroup, p, aImage,
                            Operand.WEIGHT, gi * wGroup, q, 0,
                            beta, cBase + i * outImage + gi * cGroup, p, outImage, Math.min(MAX_BATCH, images - i)));
                }
            }
        } else {
            for (int i = 0; i < images; i++) {
                for (int g0 = 0; g0 < groups; g0 += MAX_BATCH) {
                    calls.add(new Call(p, kg, q, a, aBase + i * aImage + g0 * aGroup, p, aGroup,
                            Operand.WEIGHT, g0 * wGroup, q, wGroup,
                            beta, cBase + i * outImage + g0 * cGroup, p, cGroup, Math.min(MAX_BATCH, groups - g0)));
                }
            }
        }
        return calls;
    }

    /** e.g. {@code "im2col + 1 strided-batched GEMM per group (m=3136, n=64, k=576), 32 images per chunk"}. */
    public String describe() {
        ConvGeometry g = geometry;
        String dims = "m=" + pixels() + ", n=" + g.outChannelsPerGroup() + ", k=" + reduction();
        String batching = g.groups() == 1 ? "one strided-batched GEMM over the images"
                : g.groups() <= imagesPerChunk ? "one strided-batched GEMM per group over the images"
                : "one strided-batched GEMM per image over the " + g.groups() + " groups";
        return (pointwise ? "1x1 stride-1 unpadded: the input is the GEMM operand, no im2col; " : "im2col, then ")
                + batching + " (" + dims + ")"
                + (pointwise ? "" : ", " + imagesPerChunk + " of " + g.batch() + " images per chunk, column matrix "
                + dev.jconv.cuda.vendor.DeviceMemory.bytes(columnBytes()));
    }
}

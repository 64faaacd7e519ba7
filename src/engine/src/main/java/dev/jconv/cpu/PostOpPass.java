package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;
import dev.jconv.backend.ConvPlan;

/**
 * A {@code cpu} plan whose kernels have no post-op hook yet (depthwise and Winograd), followed by the post-op as a
 * pass over the output it just wrote; it owns the plan (closing this closes it). The GEMM plans apply the post-op
 * in their output stores instead.
 */
final class PostOpPass implements ConvPlan {
    private final ConvPlan plan;
    private final PostOp postOp;

    private PostOpPass(ConvPlan plan, PostOp postOp) {
        this.plan = plan;
        this.postOp = postOp;
    }

    /** {@code plan} itself without a post-op, else followed by it. */
    static ConvPlan of(ConvPlan plan, PostOp postOp) {
        return postOp == PostOp.NONE ? plan : new PostOpPass(plan, postOp);
    }

    @Override
    public ConvGeometry geometry() {
        return plan.geometry();
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        plan.forward(input, weight, bias, output);
        postOp.applyInPlace(output, 0, output.length);
    }

    @Override
    public long retainedBytes() {
        return plan.retainedBytes();
    }

    @Override
    public String describe() {
        return plan.describe() + ", then " + postOp.name() + " as a separate pass over the output";
    }

    @Override
    public void close() {
        plan.close();
    }
}

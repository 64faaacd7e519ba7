package dev.jconv.backend;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;

/**
 * A plan followed by its post-op as a separate pass over the output it just wrote: what {@link ConvBackend#plan(
 * ConvGeometry, PostOp)} gives on backends that do not fuse post-ops (the reference among them, which stays the
 * obvious definition), and what the {@code cpu} backend uses for kernels without a post-op hook (depthwise,
 * Winograd). {@link #viewing} wraps a plan that belongs to someone else (closing the view closes nothing);
 * {@link #owning} wraps one it closes.
 */
public final class SeparatePostOpPlan implements ConvPlan {
    private final ConvPlan plan;
    private final PostOp postOp;
    private final boolean ownsPlan;

    private SeparatePostOpPlan(ConvPlan plan, PostOp postOp, boolean ownsPlan) {
        this.plan = plan;
        this.postOp = postOp;
        this.ownsPlan = ownsPlan;
    }

    /** {@code plan} (a backend's cached plan, closed by its lease) followed by {@code postOp}. */
    static ConvPlan viewing(ConvPlan plan, PostOp postOp) {
        return postOp == PostOp.NONE ? plan : new SeparatePostOpPlan(plan, postOp, false);
    }

    /** {@code plan} itself without a post-op, else followed by it; closing the result closes {@code plan}. */
    public static ConvPlan owning(ConvPlan plan, PostOp postOp) {
        return postOp == PostOp.NONE ? plan : new SeparatePostOpPlan(plan, postOp, true);
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
    public void forward(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        plan.forward(input, weight, weightVersion, bias, output);
        postOp.applyInPlace(output, 0, output.length);
    }

    /** What the wrapped plan retains (for a view, the backend's cache accounts it). */
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
        if (ownsPlan) {
            plan.close();
        }
    }
}

package dev.jconv.backend;

import dev.jconv.ConvGeometry;
import dev.jconv.PostOp;

/**
 * A backend's plan followed by its post-op as a separate pass over the output: what {@link ConvBackend#plan(
 * ConvGeometry, PostOp)} gives on backends that do not fuse post-ops (the reference among them, which stays the
 * obvious definition). The wrapped plan belongs to the backend's lease, so closing this view closes nothing.
 */
record SeparatePostOpPlan(ConvPlan plan, PostOp postOp) implements ConvPlan {

    @Override
    public ConvGeometry geometry() {
        return plan.geometry();
    }

    @Override
    public void forward(float[] input, float[] weight, float[] bias, float[] output) {
        plan.forward(input, weight, bias, output);
        postOp.applyInPlace(output, 0, output.length);
    }

    /** What the wrapped plan retains (it is the one the backend's cache accounts). */
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
        // the wrapped plan is the backend's cached one
    }
}

package dev.jconv.cpu;

import dev.jconv.ConvGeometry;
import dev.jconv.backend.ConvPlan;

/**
 * What every {@code cpu} plan shares: its geometry and worker pool, and, before each forward pass, the checks that
 * the plan is open and the arrays have the geometry's sizes (a short array would otherwise fail deep in a kernel).
 */
abstract class CpuPlan implements ConvPlan {
    final ConvGeometry g;
    final WorkerPool pool;
    private volatile boolean closed;

    CpuPlan(ConvGeometry g, WorkerPool pool) {
        this.g = g;
        this.pool = pool;
    }

    @Override
    public final ConvGeometry geometry() {
        return g;
    }

    @Override
    public final void forward(float[] input, float[] weight, float[] bias, float[] output) {
        forward(input, weight, UNVERSIONED, bias, output);
    }

    @Override
    public final void forward(float[] input, float[] weight, long weightVersion, float[] bias, float[] output) {
        CpuPlans.checkOpen(closed);
        CpuPlans.checkLengths(g, input, weight, bias, output);
        compute(input, weight, weightVersion, bias, output);
    }

    /** The forward pass on checked arrays ({@code weightVersion}: see {@link ConvPlan#forward}). */
    abstract void compute(float[] input, float[] weight, long weightVersion, float[] bias, float[] output);

    /** {@code "N thread(s)"}, for {@link #describe()}. */
    final String threadCount() {
        return pool.threads() + (pool.threads() == 1 ? " thread" : " threads");
    }

    /** Plans holding scratch buffers release them too. */
    @Override
    public void close() {
        closed = true;
    }
}

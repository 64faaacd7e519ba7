package dev.jconv.backend;

import dev.jconv.ConvGeometry;
import dev.jconv.Options;
import dev.jconv.PostOp;

/**
 * A way to run a convolution forward pass. A backend turns a {@link ConvGeometry} into a
 * {@link ConvPlan} (describe, plan, execute: the plan holds whatever was decided or prepared for that
 * shape) and caches plans per geometry. Implementations must be safe to use from many threads.
 */
public interface ConvBackend {

    /** The name users pick it by, e.g. {@code cpu-reference}. */
    String name();

    /** Whether it can run on this machine, and if not, exactly why. Never throws. */
    Availability availability();

    /** Whether it runs this geometry; an available backend that does not is skipped by {@code auto}. */
    default boolean supports(ConvGeometry geometry) {
        return true;
    }

    /** The prepared plan for this geometry, made once and cached (see {@link PlanCache#get} for how long it lives). */
    ConvPlan plan(ConvGeometry geometry);

    /**
     * The plan for this geometry, held until the lease is closed (a cached plan is not closed while leased).
     * Backends without a cache make a plan for the caller alone.
     */
    default PlanLease lease(ConvGeometry geometry) {
        return PlanLease.owning(plan(geometry));
    }

    /**
     * {@link #lease(ConvGeometry)}'s plan followed by {@code postOp}. Backends that fuse the post-op into the pass
     * that writes the output override this (and cache plans per geometry and post-op); the default runs it as a
     * separate pass over the output.
     */
    default PlanLease lease(ConvGeometry geometry, PostOp postOp) {
        PlanLease lease = lease(geometry);
        return postOp == PostOp.NONE ? lease : PlanLease.viewing(lease, plan -> SeparatePostOpPlan.viewing(plan, postOp));
    }

    /**
     * This backend as {@code options} configure it (threads, device, math settings): this instance when they
     * change nothing it uses, else a shared instance for those settings.
     */
    default ConvBackend configured(Options options) {
        return this;
    }

    /**
     * A workspace on this backend's device for running a whole network there ({@link DeviceWorkspace}), or
     * {@code null} when this backend runs on host memory or has no kernels for the layers between convolutions.
     */
    default DeviceWorkspace openDeviceWorkspace() {
        return null;
    }
}

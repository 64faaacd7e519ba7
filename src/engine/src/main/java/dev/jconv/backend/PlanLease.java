package dev.jconv.backend;

/** A plan held for the length of one or more calls; closing gives it back (idempotent). */
public interface PlanLease extends AutoCloseable {

    ConvPlan plan();

    @Override
    void close();

    /**
     * {@code lease} seen through {@code view} (a plan running the leased one, such as one with a post-op): closing
     * it closes {@code lease}.
     */
    static PlanLease viewing(PlanLease lease, java.util.function.UnaryOperator<ConvPlan> view) {
        ConvPlan viewed = view.apply(lease.plan());
        return new PlanLease() {
            @Override
            public ConvPlan plan() {
                return viewed;
            }

            @Override
            public void close() {
                lease.close();
            }
        };
    }

    /** A lease on a plan made for one holder alone: closing the lease closes the plan. */
    static PlanLease owning(ConvPlan plan) {
        return new PlanLease() {
            @Override
            public ConvPlan plan() {
                return plan;
            }

            @Override
            public void close() {
                plan.close();
            }
        };
    }
}

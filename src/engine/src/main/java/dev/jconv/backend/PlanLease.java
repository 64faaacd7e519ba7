package dev.jconv.backend;

/** A plan held for the length of one or more calls; closing gives it back (idempotent). */
public interface PlanLease extends AutoCloseable {

    ConvPlan plan();

    @Override
    void close();

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

package dev.jconv.backend;

/** Prints the plan cache's budget as this JVM's properties set it, and the heap's maximum. */
public final class PlanCacheBudgetMain {
    private PlanCacheBudgetMain() {}

    public static void main(String[] args) {
        System.out.println(PlanCache.budgetBytes() + " " + Runtime.getRuntime().maxMemory());
    }
}

package dev.jconv.backend;

import dev.jconv.ConvGeometry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Plans cached per full geometry, like PyTorch's cuDNN benchmark cache. Each geometry is planned
 * once even when many threads ask at the same time.
 */
public final class PlanCache implements AutoCloseable {
    private final ConcurrentHashMap<ConvGeometry, ConvPlan> plans = new ConcurrentHashMap<>();
    private final Function<ConvGeometry, ConvPlan> planner;

    public PlanCache(Function<ConvGeometry, ConvPlan> planner) {
        this.planner = planner;
    }

    public ConvPlan get(ConvGeometry geometry) {
        return plans.computeIfAbsent(geometry, planner);
    }

    public int size() {
        return plans.size();
    }

    /** Closes and forgets every plan. Plans still running on other threads must have finished. */
    @Override
    public void close() {
        List<ConvPlan> all = new ArrayList<>(plans.values());
        plans.clear();
        all.forEach(ConvPlan::close);
    }
}

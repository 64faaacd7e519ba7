package dev.jconv.cpu;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Fixes the seed of the property tests it is added to, so CI draws the same configurations every run,
 * unless the system property {@value #PROPERTY} says otherwise:
 * {@code mvn test -Djconv.property.seed=random} draws fresh ones (jqwik prints the seed it used), and
 * {@code -Djconv.property.seed=<number>} replays one.
 */
public final class PropertySeed implements AroundPropertyHook {
    static final String PROPERTY = "jconv.property.seed";
    static final String FIXED = "20240611";

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        String requested = System.getProperty(PROPERTY, FIXED).trim();
        if (!requested.equalsIgnoreCase("random")) {
            context.attributes().setSeed(requested);
        }
        return property.execute();
    }
}

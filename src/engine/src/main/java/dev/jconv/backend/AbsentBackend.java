package dev.jconv.backend;

import dev.jconv.ConvGeometry;

/**
 * A backend {@link Backends} knows by name but could not load: its jar is not on the class path (or module path),
 * or making it failed. It is listed, always unavailable, with the reason; asking it for a plan says the same.
 */
final class AbsentBackend implements ConvBackend {
    private final String name;
    private final Availability availability;

    AbsentBackend(String name, String reason) {
        this.name = name;
        this.availability = Availability.no(reason);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Availability availability() {
        return availability;
    }

    @Override
    public boolean supports(ConvGeometry geometry) {
        return false;
    }

    @Override
    public ConvPlan plan(ConvGeometry geometry) {
        throw new BackendUnavailableException("backend " + name + " is unavailable: " + availability.reason());
    }
}

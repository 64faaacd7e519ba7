package dev.jconv.backend;

/** Whether a backend can run here; when not, {@code reason} says exactly why. */
public record Availability(boolean available, String reason) {

    public static Availability yes(String detail) {
        return new Availability(true, detail);
    }

    public static Availability no(String reason) {
        return new Availability(false, reason);
    }

    @Override
    public String toString() {
        return (available ? "available" : "unavailable") + (reason == null || reason.isEmpty() ? "" : ": " + reason);
    }
}

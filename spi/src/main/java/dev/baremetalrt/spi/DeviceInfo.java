package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

/**
 * A compute device a backend can use.
 *
 * @param id          backend-specific id, e.g. {@code cpu} or {@code cuda:0}
 * @param description human-readable name, e.g. the CPU or GPU model
 * @param totalMemoryBytes memory the device has, or -1 when unknown
 * @param freeMemoryBytes  memory free now, or -1 when unknown
 */
public record DeviceInfo(String id, String description, long totalMemoryBytes, long freeMemoryBytes) {
    public DeviceInfo {
        requireNonNull(id, "id is null");
        requireNonNull(description, "description is null");
    }
}

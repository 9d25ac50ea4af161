package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Set;

/**
 * What an open backend can do.
 *
 * @param weightTypes      weight types it runs; loading any other gives a {@link BackendException}
 * @param layerRanges      true when it loads arbitrary layer ranges; false for whole-model engines
 * @param maxBatchSessions most sessions one {@code forward} call accepts
 * @param devices          devices in use
 * @param notes            what a user should know about how it runs them (e.g. weight types widened at
 *                         load and what that costs in memory); empty when nothing
 */
public record BackendCapabilities(Set<WeightType> weightTypes, boolean layerRanges, int maxBatchSessions, List<DeviceInfo> devices, String notes) {
    public BackendCapabilities {
        weightTypes = Set.copyOf(requireNonNull(weightTypes, "weightTypes is null"));
        devices = List.copyOf(requireNonNull(devices, "devices is null"));
        requireNonNull(notes, "notes is null");
        if (maxBatchSessions <= 0) {
            throw new IllegalArgumentException("maxBatchSessions must be positive, got " + maxBatchSessions);
        }
    }

    /** Capabilities without notes. */
    public BackendCapabilities(Set<WeightType> weightTypes, boolean layerRanges, int maxBatchSessions, List<DeviceInfo> devices) {
        this(weightTypes, layerRanges, maxBatchSessions, devices, "");
    }
}

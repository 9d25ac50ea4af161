package dev.baremetalrt.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * What a backend found when it looked at this machine.
 *
 * @param available whether {@link BackendProvider#open} can succeed
 * @param detail    when available, what it will use (devices, instruction set); otherwise exactly why
 *                  not and what to install or set
 * @param devices   devices it can use (empty when unavailable)
 */
public record ProbeResult(boolean available, String detail, List<DeviceInfo> devices) {
    public ProbeResult {
        requireNonNull(detail, "detail is null");
        devices = List.copyOf(devices);
    }

    public static ProbeResult available(String detail, List<DeviceInfo> devices) {
        return new ProbeResult(true, detail, devices);
    }

    public static ProbeResult unavailable(String reason) {
        return new ProbeResult(false, reason, List.of());
    }
}

package dev.baremetalrt.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/** Free ports for members on loopback: the demo's local nodes and the multi-member tests. */
public final class LoopbackPorts {
    private LoopbackPorts() {}

    /** {@code count} different free ports (see {@link #free()}). */
    public static int[] free(int count) {
        java.util.Set<Integer> ports = new java.util.LinkedHashSet<>();
        while (ports.size() < count) {
            ports.add(free());
        }
        return ports.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * A free port below Linux's ephemeral range (32768+): a port the OS handed out and took back could be
     * handed out again, to another member's event bus, before the member meant to bind it does.
     */
    public static int free() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 100; attempt++) {
            int port = random.nextInt(20_000, 30_000);
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return port;
            } catch (IOException busy) {
                // try another
            }
        }
        throw new UncheckedIOException(new IOException("no free port in 20000-30000"));
    }
}

package dev.baremetalrt.cluster;

import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Points Vert.x, Netty and Hazelcast at java.util.logging, where the rest of BareMetalRT logs. Left alone,
 * Vert.x and Netty pick SLF4J (on the class path for Helidon, without a provider) and print warnings about
 * it. Called before the first Vert.x or Netty class is used: from {@link ClusterNode} and {@link ClusterTls}.
 */
final class ClusterLogging {
    /** Hazelcast logs every connection attempt at INFO; BRT_DEBUG=1 (INFO logging) shows them again. */
    private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");

    static {
        if (System.getProperty("vertx.logger-delegate-factory-class-name") == null) {
            System.setProperty("vertx.logger-delegate-factory-class-name", "io.vertx.core.logging.JULLogDelegateFactory");
        }
        io.netty.util.internal.logging.InternalLoggerFactory.setDefaultFactory(io.netty.util.internal.logging.JdkLoggerFactory.INSTANCE);
        if (dev.baremetalrt.spi.Settings.get("debug").isEmpty()) {
            HAZELCAST_LOG.setLevel(Level.WARNING);
        }
    }

    private ClusterLogging() {}

    /** Runs the static set-up once; later calls do nothing. */
    static void useJul() {}
}

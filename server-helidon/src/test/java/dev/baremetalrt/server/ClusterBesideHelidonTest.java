package dev.baremetalrt.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ObjectInputFilter;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Helidon installs a JVM-wide deserialization filter that denies everything not allowed by a
 * META-INF/helidon/serial-config.properties file. Hazelcast sends some things with Java serialization, the
 * failure of a remote operation for one (a TargetNotMemberException while a member leaves); when its
 * response was rejected, a member that also served HTTP hung joining the cluster (seen once in CI, in the
 * demo). The cluster module's file must let these classes through.
 */
class ClusterBesideHelidonTest {
    @ParameterizedTest(name = "the JVM-wide filter Helidon installs lets {0} through")
    @ValueSource(classes = {com.hazelcast.spi.exception.TargetNotMemberException.class, StackTraceElement.class, java.util.ArrayList.class,
            io.vertx.core.eventbus.ReplyException.class})
    void clusterTypesPassTheFilterHelidonInstalls(Class<?> type) {
        try (BrtServer server = BrtServer.start(new ServerConfig("127.0.0.1", 0, List.of(), List.of(), ServerConfig.DEFAULT_MAX_BODY_BYTES), 0)) {
            ObjectInputFilter filter = ObjectInputFilter.Config.getSerialFilter();
            ObjectInputFilter.FilterInfo info = new ObjectInputFilter.FilterInfo() {
                @Override
                public Class<?> serialClass() {
                    return type;
                }

                @Override
                public long arrayLength() {
                    return -1;
                }

                @Override
                public long depth() {
                    return 1;
                }

                @Override
                public long references() {
                    return 1;
                }

                @Override
                public long streamBytes() {
                    return 100;
                }
            };
            assertEquals(ObjectInputFilter.Status.ALLOWED, filter.checkInput(info), "filter " + filter);
        }
    }
}

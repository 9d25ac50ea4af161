package dev.baremetalrt.server;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * How the server listens and whom it lets in.
 *
 * @param host          interface to bind ({@code 127.0.0.1} unless told otherwise)
 * @param port          TCP port; 0 picks a free one
 * @param apiKeys       accepted bearer keys; empty = no authentication
 * @param corsOrigins   origins browsers may call the API from; empty = none
 * @param maxBodyBytes  largest request body; larger gets 413
 */
public record ServerConfig(String host, int port, List<String> apiKeys, List<String> corsOrigins, int maxBodyBytes) {
    public static final int DEFAULT_MAX_BODY_BYTES = 4 << 20;

    public ServerConfig {
        requireNonNull(host, "host is null");
        apiKeys = List.copyOf(requireNonNull(apiKeys, "apiKeys is null"));
        corsOrigins = List.copyOf(requireNonNull(corsOrigins, "corsOrigins is null"));
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
        if (maxBodyBytes <= 0) {
            throw new IllegalArgumentException("maxBodyBytes must be positive");
        }
        if (apiKeys.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("an API key must not be blank");
        }
    }

    /** Loopback, the given port, no keys, no CORS. */
    public static ServerConfig loopback(int port) {
        return new ServerConfig("127.0.0.1", port, List.of(), List.of(), DEFAULT_MAX_BODY_BYTES);
    }
}

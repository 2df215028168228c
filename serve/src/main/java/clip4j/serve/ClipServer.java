package clip4j.serve;

import io.helidon.webserver.WebServer;

import java.time.Duration;

/**
 * The HTTP server: Helidon SE on a port, the {@link HttpApi} routes, a body limit, graceful shutdown (the listener
 * closes, requests in flight finish, then the batchers drain).
 */
public final class ClipServer implements AutoCloseable {
    /** The longest a connection may wait for the client's next bytes within a request. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private final WebServer server;
    private final ClipService service;

    /** @param apiKey the key requests must carry, or null for none */
    public ClipServer(ClipService service, String host, int port, HttpApi.Limits limits, String apiKey) {
        this.service = service;
        HttpApi api = new HttpApi(service, limits, new Metrics(java.util.Map.of("text", service.texts(), "image", service.images()))).apiKey(apiKey);
        // connections bounded in number and in how long they may sit idle or stall mid-request: past the process's
        // open-file limit the listener would stop accepting for good, and a client that sends a few bytes and waits
        // would hold its socket forever
        this.server = WebServer.builder().host(host).port(port).maxPayloadSize(limits.maxBody())
                .maxTcpConnections(limits.maxConnections()).maxConcurrentRequests(limits.maxConnections())
                .connectionOptions(o -> o.readTimeout(READ_TIMEOUT)).idleConnectionTimeout(Duration.ofMinutes(2))
                .shutdownGracePeriod(Duration.ofSeconds(30)).routing(api::routes).build().start();
    }

    ClipService service() {
        return service;
    }

    /** The port listened on (the one chosen when 0 was asked). */
    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
        service.close();
    }
}

package clip4j.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.function.DoubleSupplier;

/** The service's Prometheus metrics: requests by endpoint and status, latencies, batch sizes, queue depth, rejections. */
final class Metrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    final Counter requests = Counter.builder().name("clip4j_requests_total").help("HTTP requests by endpoint and status")
            .labelNames("endpoint", "status").register(registry);
    final Histogram latency = Histogram.builder().name("clip4j_request_seconds").help("request latency by endpoint")
            .labelNames("endpoint").classicOnly().classicUpperBounds(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)
            .register(registry);
    final Histogram batchSize = Histogram.builder().name("clip4j_batch_size").help("requests per engine batch")
            .labelNames("encoder").classicOnly().classicUpperBounds(1, 2, 4, 8, 16, 32, 64, 128, 256).register(registry);
    final Counter rejected = Counter.builder().name("clip4j_rejected_total").help("requests refused because the queue was full")
            .labelNames("encoder").register(registry);

    void queueDepth(String encoder, DoubleSupplier depth) {
        GaugeWithCallback.builder().name("clip4j_queue_depth_" + encoder).help("requests waiting for the " + encoder + " encoder")
                .callback(cb -> cb.call(depth.getAsDouble())).register(registry);
    }

    byte[] scrape() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, registry.scrape());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    static String contentType() {
        return PrometheusTextFormatWriter.CONTENT_TYPE;
    }
}

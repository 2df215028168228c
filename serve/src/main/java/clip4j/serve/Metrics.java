package clip4j.serve;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;

/** The service's Prometheus metrics: requests by endpoint and status, latencies, batch sizes, queue depth, rejections. */
final class Metrics {
    private final PrometheusRegistry registry = new PrometheusRegistry();
    final Counter requests = Counter.builder().name("clip4j_requests_total").help("HTTP requests by endpoint and status")
            .labelNames("endpoint", "status").register(registry);
    final Histogram latency = Histogram.builder().name("clip4j_request_seconds").help("request latency by endpoint")
            .labelNames("endpoint").classicOnly().classicUpperBounds(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10)
            .register(registry);

    /** Registers the batchers' queue depths, batch sizes and refusals, read from their counters at each scrape. */
    Metrics(Map<String, Batcher<?, ?>> batchers) {
        GaugeWithCallback.builder().name("clip4j_queue_depth").help("requests waiting for the encoder").labelNames("encoder")
                .callback(cb -> batchers.forEach((name, b) -> cb.call(b.queued(), name))).register(registry);
        CounterWithCallback.builder().name("clip4j_batches").help("engine batches by encoder and requests per batch").labelNames("encoder", "size")
                .callback(cb -> batchers.forEach((name, b) -> {
                    long[] sizes = b.batchSizes();
                    for (int n = 1; n < sizes.length; n++) if (sizes[n] > 0) cb.call(sizes[n], name, Integer.toString(n));
                })).register(registry);
        CounterWithCallback.builder().name("clip4j_rejected").help("requests refused because the encoder's queue was full").labelNames("encoder")
                .callback(cb -> batchers.forEach((name, b) -> cb.call(b.rejected(), name))).register(registry);
        CounterWithCallback.builder().name("clip4j_expired").help("requests dropped unrun after waiting past their timeout").labelNames("encoder")
                .callback(cb -> batchers.forEach((name, b) -> cb.call(b.expired(), name))).register(registry);
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

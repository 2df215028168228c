package clip4j.serve;

import org.apache.commons.fileupload2.core.MultipartInput;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A multipart/form-data body (RFC 7578), as a browser's FormData or curl -F sends it: the part named "image" as bytes,
 * every other part as text, a name given more than once as the list of its values. The body is already in memory
 * (read under the body limit); parts and part headers are counted and bounded here. Parsing is Commons FileUpload's.
 */
final class Multipart {
    static final int MAX_PARTS = 1100;
    private static final Pattern NAME = Pattern.compile("(?i)(?:^|;)\\s*name=\"([^\"]*)\"");

    /** The image part's bytes (null if none) and the text fields. */
    record Form(byte[] image, Map<String, List<String>> fields) {
    }

    private Multipart() {
    }

    /** @throws IllegalArgumentException with one line, for a body that is not well-formed multipart */
    static Form parse(byte[] body, String boundary) {
        if (boundary == null || boundary.isEmpty() || boundary.length() > 70) throw new IllegalArgumentException("multipart/form-data without a boundary");
        try {
            MultipartInput in = MultipartInput.builder().setInputStream(new ByteArrayInputStream(body))
                    .setBoundary(boundary.getBytes(StandardCharsets.ISO_8859_1)).setPartHeaderSizeMax(4096).get();
            in.setHeaderCharset(StandardCharsets.UTF_8);
            byte[] image = null;
            Map<String, List<String>> fields = new LinkedHashMap<>();
            int parts = 0;
            for (boolean more = in.skipPreamble(); more; more = in.readBoundary()) {
                if (++parts > MAX_PARTS) throw new IllegalArgumentException("more than " + MAX_PARTS + " parts");
                String name = name(in.readHeaders());
                ByteArrayOutputStream data = new ByteArrayOutputStream();
                in.readBodyData(data);
                if (name == null) throw new IllegalArgumentException("a part without Content-Disposition: form-data; name=...");
                if (name.equals("image")) {
                    if (image != null) throw new IllegalArgumentException("more than one image part");
                    image = data.toByteArray();
                } else {
                    fields.computeIfAbsent(name, n -> new ArrayList<>()).add(data.toString(StandardCharsets.UTF_8));
                }
            }
            if (parts == 0) throw new IllegalArgumentException("no parts");
            return new Form(image, fields);
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException) throw (IllegalArgumentException) e;
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new IllegalArgumentException("malformed multipart body: " + why);
        }
    }

    private static String name(String headers) {
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).strip().toLowerCase(Locale.ROOT).equals("content-disposition")) {
                Matcher m = NAME.matcher(line.substring(colon + 1));
                if (m.find()) return m.group(1);
            }
        }
        return null;
    }
}

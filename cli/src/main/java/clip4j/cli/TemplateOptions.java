package clip4j.cli;

import clip4j.ClipException;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The prompt templates of the few-shot commands: one on the command line, or a file of them. */
final class TemplateOptions {
    @Option(names = "--template", description = "a single template, {} = class name")
    String template;

    @Option(names = "--templates", description = "file with one template per line")
    Path templates;

    /** The templates asked for, "a photo of a {}." by default. */
    List<String> templates() throws IOException {
        if (template != null && templates != null) throw new ClipException("--template and --templates exclude each other");
        if (templates != null) {
            if (!Files.isRegularFile(templates)) throw new ClipException("templates file not found: " + templates);
            List<String> t = Files.readAllLines(templates).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (t.isEmpty()) throw new ClipException(templates + " has no templates");
            return t;
        }
        return List.of(template != null ? template : "a photo of a {}.");
    }
}

package clip4j.cli;

import clip4j.ClipException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The prompt templates of the commands that build class weights: repeated on the command line, or a file of them. */
final class TemplateOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--template", paramLabel = "T", description = "a prompt template, {} = the class name; repeat it to ensemble "
            + "several (default: \"a photo of a {}.\")")
    List<String> template;

    @Option(names = "--templates", paramLabel = "FILE", description = "file with one template per line (instead of --template)")
    Path templates;

    /** The templates asked for, "a photo of a {}." by default; each must hold {}. */
    List<String> templates() throws IOException {
        if (template != null && templates != null) throw new ParameterException(command.commandLine(), "--template and --templates exclude each other");
        List<String> t;
        if (templates != null) {
            if (!Files.isRegularFile(templates)) throw new ClipException("templates file not found: " + templates);
            t = Files.readAllLines(templates).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
            if (t.isEmpty()) throw new ClipException(templates + " has no templates");
        } else {
            t = template != null ? template : List.of("a photo of a {}.");
        }
        for (String one : t) if (!one.contains("{}")) throw new ClipException("template '" + one + "' has no {} for the class name");
        return t;
    }
}

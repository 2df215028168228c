package clip4j.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every command explains itself: --help with a description, each option described, an example; --version names the build. */
class HelpTest {
    private static List<CommandLine> allCommands(CommandLine c) {
        List<CommandLine> out = new ArrayList<>(List.of(c));
        for (CommandLine sub : c.getSubcommands().values()) out.addAll(allCommands(sub));
        return out;
    }

    @Test
    void everyCommandHasHelp() {
        List<CommandLine> all = allCommands(new CommandLine(new Main()));
        assertTrue(all.size() >= 12, "commands found: " + all.size());
        for (CommandLine c : all) {
            CommandSpec spec = c.getCommandSpec();
            List<String> path = new ArrayList<>(List.of(spec.qualifiedName(" ").split(" ")));
            path.removeFirst();
            path.add("--help");
            Cli.Result r = Cli.inProcess(path.toArray(new String[0]));
            String name = spec.qualifiedName();
            assertEquals(0, r.code(), name + " --help: " + r);
            assertTrue(r.out().contains("Usage: " + name), name + ": " + r.out());
            assertTrue(r.out().contains("Example"), name + " has no example");
            assertFalse(r.err().contains("WARN"), name + ": " + r.err());
            assertTrue(r.out().lines().allMatch(l -> l.length() <= 80), name + " help is wider than 80 columns");
            assertTrue(spec.usageMessage().description().length > 0 && spec.usageMessage().description()[0].length() > 40,
                    name + " needs a description paragraph");
            for (OptionSpec o : spec.options()) {
                assertTrue(o.description().length > 0 && !o.description()[0].isBlank(), name + " " + o.longestName() + " has no description");
                if (o.defaultValue() != null) {
                    assertTrue(r.out().replaceAll("\\s+", " ").contains("Default: " + o.defaultValue()),
                            name + " " + o.longestName() + " does not show its default " + o.defaultValue());
                }
            }
        }
    }

    @Test
    void subcommandHelpNeedsNoRequiredOptions() {
        for (String cmd : new String[]{"demo", "bench", "fewshot", "convert"}) {
            Cli.Result r = Cli.inProcess(cmd, "--help");
            assertEquals(0, r.code(), cmd + ": " + r);
            assertFalse(r.err().contains("Missing required"), r.err());
        }
    }

    @Test
    void versionNamesTheBuild() {
        Cli.Result r = Cli.inProcess("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().matches("(?s)clip4j \\d+\\.\\d+\\.\\d+\\S* \\(commit \\S+, built \\S+\\)\\nJava .*"), r.out());
    }

    @Test
    void usageErrorsPointToHelp() {
        Cli.Result r = Cli.inProcess("embed-text", "--bogus");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("clip4j embed-text --help"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
    }
}
